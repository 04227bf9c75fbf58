import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PageQuery } from '@/common/http/pagination';
import { LockedMediaResponse, MediaResponse, PostMediaResponse } from '@/modules/media/dto/media.response';
import { UserSummaryResponse } from '@/modules/users/dto/user.response';
import { CONVERSATION_STATUSES, ConversationStatus } from '../entities/conversation-member.entity';

export class StartConversationDto {
  @ApiProperty({ description: 'The other participant' })
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  username: string;
}

export class ConversationsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CONVERSATION_STATUSES, default: 'active', description: '`request`: conversations started by accounts you neither follow nor have as subscribers' })
  @IsOptional()
  @IsIn(CONVERSATION_STATUSES)
  status: ConversationStatus = 'active';
}

/**
 * What a message carries besides its text: attachments, a price and the teaser shown while it is locked. Shared by a
 * message, the welcome message (and, next, a mass message), so the three validate alike.
 */
export class MessageExtrasDto {
  @ApiPropertyOptional({ type: [String], maxItems: 4, description: 'Your own ready uploads, attached to nothing yet' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4)
  @IsUUID('all', { each: true })
  media_ids?: string[];

  @ApiPropertyOptional({ minimum: 100, maximum: 100000, description: 'Locks the message for its recipient until bought (pay-per-view; Connect rules as post prices)' })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(100000)
  price_cents?: number;

  @ApiPropertyOptional({ maxLength: 280, description: 'Teaser shown while the message is locked' })
  @IsOptional()
  @IsString()
  @MaxLength(280)
  preview?: string;
}

export class SendMessageDto extends MessageExtrasDto {
  @ApiPropertyOptional({ maxLength: 5000, description: 'Required unless media_ids are given' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  content?: string;
}

export class ReadConversationDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Read up to and including this message; everything when absent' })
  @IsOptional()
  @IsUUID()
  up_to_id?: string;
}

@ApiExtraModels(MediaResponse, LockedMediaResponse)
export class MessageResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) conversation_id: string;
  @ApiProperty({ type: UserSummaryResponse }) sender: UserSummaryResponse;
  @ApiProperty({ nullable: true, type: String, description: 'null when locked or unsent' }) content: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Rendered on the server; null when locked or unsent' }) content_html: string | null;
  @ApiProperty({
    type: 'array',
    items: { anyOf: [{ $ref: getSchemaPath(MediaResponse) }, { $ref: getSchemaPath(LockedMediaResponse) }] },
    description: 'Locked: each item is only `{ id, type }`; unsent: empty',
  })
  media: PostMediaResponse[];
  @ApiProperty({ nullable: true, type: Number }) price_cents: number | null;
  @ApiProperty({ description: 'A paid message you have not bought' }) locked: boolean;
  @ApiProperty({ nullable: true, type: String }) preview: string | null;
  @ApiProperty({ nullable: true, type: Number }) tip_cents: number | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'Unsent by its sender' }) deleted_at: string | null;
}

export class MessagePageResponse {
  @ApiProperty({ type: [MessageResponse] }) data: MessageResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class ConversationResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: UserSummaryResponse, description: 'The other participant' }) with: UserSummaryResponse;
  @ApiProperty({ enum: CONVERSATION_STATUSES, description: 'Your side: `request` until you reply or accept' }) status: ConversationStatus;
  @ApiProperty({ description: 'Unread messages for you; 0 for a request' }) unread_count: number;
  @ApiPropertyOptional({ type: MessageResponse, nullable: true, description: 'The latest message, as you may see it' }) last_message?: MessageResponse | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', description: 'Its latest activity (your list is ordered by it)' }) updated_at: string;
}

export class ConversationPageResponse {
  @ApiProperty({ type: [ConversationResponse] }) data: ConversationResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class UnreadMessagesCountResponse {
  @ApiProperty({ description: 'Unread messages in your active conversations' }) count: number;
}

/** `media_ids` is accepted only empty for now (docs/inbox.md#welcome-message): one upload belongs to one message. */
@ApiSchema({ description: 'The welcome message. `media_ids` is not supported yet: only an empty list is accepted (422 otherwise).' })
export class PutWelcomeMessageDto extends MessageExtrasDto {
  @ApiProperty({ minLength: 1, maxLength: 5000 })
  @IsString()
  @MinLength(1)
  @MaxLength(5000)
  content: string;

  @ApiProperty({ description: 'Sent to new subscribers only while true' })
  @IsBoolean()
  enabled: boolean;
}

export class WelcomeMessageResponse {
  @ApiProperty() content: string;
  @ApiProperty({ type: [String], description: 'Always empty for now' }) media_ids: string[];
  @ApiProperty({ nullable: true, type: Number }) price_cents: number | null;
  @ApiProperty({ nullable: true, type: String }) preview: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDate, IsObject, IsOptional, IsString, Matches, MaxDate, MaxLength, ValidateNested } from 'class-validator';
import { ToDateFromIso } from '@/common/http/iso-date-time';
import { MASS_MESSAGE_STATUSES, MassMessageStatus } from '../entities/mass-message.entity';
import { MessageExtrasDto } from './messages.dto';

/** `subscribers`, `expired_subscribers`, `followers`, `tier:<id>`, `list:<id>`. */
export const SEGMENT_PATTERN = '^(subscribers|expired_subscribers|followers|(tier|list):[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$';
export const SEGMENT = new RegExp(SEGMENT_PATTERN);
const SEGMENT_ITEMS = { type: 'string', pattern: SEGMENT_PATTERN } as const;
const SEGMENT_DESCRIPTION =
  '`subscribers` (active subscribers), `expired_subscribers` (had a subscription to you, none active now), `followers`, ' +
  '`tier:<id>` (active subscribers at that tier of yours or a higher one; another creator\'s tier answers 422), `list:<id>` (one of your own lists)';

export class MassAudienceDto {
  @ApiProperty({ type: 'array', items: SEGMENT_ITEMS, minItems: 1, maxItems: 10, description: `Segments whose union receives it: ${SEGMENT_DESCRIPTION}` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Matches(SEGMENT, { each: true, message: 'each item must be a segment: subscribers, expired_subscribers, followers, tier:<id> or list:<id>' })
  include: string[];

  @ApiPropertyOptional({ type: 'array', items: SEGMENT_ITEMS, maxItems: 10, description: 'Segments left out of it (same syntax)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Matches(SEGMENT, { each: true, message: 'each item must be a segment: subscribers, expired_subscribers, followers, tier:<id> or list:<id>' })
  exclude?: string[];
}

export class SendMassMessageDto extends MessageExtrasDto {
  @ApiPropertyOptional({ maxLength: 5000, description: 'Required unless media_ids are given' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  content?: string;

  @ApiProperty({ type: MassAudienceDto, description: 'Who receives it: the union of `include` minus the union of `exclude`' })
  @IsObject()
  @ValidateNested()
  @Type(() => MassAudienceDto)
  audience: MassAudienceDto;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Sent at this time (in the future, else 422); now when absent' })
  @IsOptional()
  @ToDateFromIso()
  @IsDate({ message: 'scheduled_at must be an ISO 8601 date-time' })
  // JavaScript dates reach the year 275760; PostgreSQL refuses what it cannot parse (a 500 instead of a 400).
  @MaxDate(new Date('9999-12-31T23:59:59.999Z'), { message: 'scheduled_at must be before the year 10000' })
  scheduled_at?: Date;
}

export class MassMessageResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: MASS_MESSAGE_STATUSES, description: '`canceled`: a scheduled one canceled, or a sent one unsent' }) status: MassMessageStatus;
  @ApiProperty({ description: 'Recipients who got a copy (grows while `sending`; final once `sent`)' }) recipients_count: number;
  @ApiProperty({ description: 'Copies delivered and not unsent (after an unsend: those bought, which their buyers keep)' }) sent_count: number;
  @ApiProperty({ description: 'Copies read by their recipient' }) read_count: number;
  @ApiProperty({ description: 'Copies bought (paid, not refunded)' }) unlocked_count: number;
  @ApiProperty({ description: 'What the copies bought were paid, in cents of the sender\'s currency, before fees' }) revenue_cents: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) scheduled_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class MassMessagePageResponse {
  @ApiProperty({ type: [MassMessageResponse] }) data: MassMessageResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

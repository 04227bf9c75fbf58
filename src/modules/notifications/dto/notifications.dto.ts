import { ApiHideProperty, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '@/common/http/pagination';
import { PostResponse } from '@/modules/posts/dto/post.dto';
import { UserSummaryResponse } from '@/modules/users/dto/user.response';
import { NOTIFICATION_TYPES, NotificationType } from '../entities/notification.entity';

export class NotificationQuery extends PageQuery {
  @ApiPropertyOptional({ enum: NOTIFICATION_TYPES, isArray: true, name: 'types[]', description: 'Repeat for several: `types[]=like&types[]=reply`' })
  @IsOptional()
  @Transform(({ value }) => (Array.isArray(value) ? value : [value]))
  @IsArray()
  @IsIn(NOTIFICATION_TYPES, { each: true })
  'types[]'?: NotificationType[];

  /** `types=like` (or repeated) is accepted too; the document names only the contract's `types[]`. */
  @ApiHideProperty()
  @IsOptional()
  @Transform(({ value }) => (Array.isArray(value) ? value : [value]))
  @IsArray()
  @IsIn(NOTIFICATION_TYPES, { each: true })
  types?: NotificationType[];

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unread?: boolean;
}

export class MarkReadDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 500 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  ids?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Marks this one and every older notification' })
  @IsOptional()
  @IsUUID()
  up_to_id?: string;
}

/** What a `tip` notification tells of (docs/inbox.md#tips). */
export class NotificationTipResponse {
  @ApiProperty({ minimum: 100, maximum: 50000, description: 'The tip, in cents of `currency`' }) amount_cents: number;
  @ApiProperty({ example: 'usd' }) currency: string;
}

export class NotificationResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: NOTIFICATION_TYPES }) type: NotificationType;
  @ApiProperty({ type: UserSummaryResponse, nullable: true, description: 'null for `report_resolved` (sent by the service)' })
  from_user: UserSummaryResponse | null;
  @ApiPropertyOptional({ type: PostResponse, nullable: true }) post?: PostResponse | null;
  @ApiProperty({ type: NotificationTipResponse, nullable: true, description: 'The amount of a `tip` (the post tipped, if any, is `post`); null for every other type' })
  tip: NotificationTipResponse | null;
  @ApiProperty() read: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class NotificationPageResponse {
  @ApiProperty({ type: [NotificationResponse] }) data: NotificationResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class UnreadCountResponse {
  @ApiProperty() count: number;
}

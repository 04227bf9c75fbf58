import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '@/common/http/pagination';
import { PostModerationSummary } from '@/modules/posts/dto/post-moderation.dto';
import { UserSummaryResponse } from '@/modules/users/dto/user.response';
import { REPORT_ACTIONS, REPORT_REASONS, REPORT_STATUSES, ReportAction, ReportReason, ReportStatus } from '../entities/report.entity';

export class CreateReportDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The reported post (or give `username`)' })
  @IsOptional()
  @IsUUID()
  post_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A reported direct message of a conversation you are in (or give `post_id` or `username`)' })
  @IsOptional()
  @IsUUID()
  message_id?: string;

  @ApiPropertyOptional({ description: 'The reported account (or give `post_id`)' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_]{1,30}$/, { message: 'username must be 1-30 of [A-Za-z0-9_]' })
  username?: string;

  @ApiProperty({ enum: REPORT_REASONS })
  @IsIn(REPORT_REASONS)
  reason: ReportReason;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;
}

export class ReportCreatedResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['open'] }) status: string;
  @ApiProperty({ enum: REPORT_REASONS }) reason: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class ReportQueueQuery extends PageQuery {
  @ApiPropertyOptional({ enum: REPORT_STATUSES, default: 'open' })
  @IsOptional()
  @IsIn(REPORT_STATUSES)
  status: ReportStatus = 'open';
}

export class ResolveReportDto {
  @ApiProperty({ enum: REPORT_ACTIONS })
  @IsIn(REPORT_ACTIONS)
  action: ReportAction;

  @ApiPropertyOptional({ maxLength: 1000, description: 'Kept in the report and the audit log; never shown to reporters' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;
}

export class AdminReportResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: UserSummaryResponse }) reporter: UserSummaryResponse;
  @ApiProperty({ type: UserSummaryResponse }) target_user: UserSummaryResponse;
  @ApiPropertyOptional({ type: PostModerationSummary, nullable: true }) target_post: PostModerationSummary | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'A reported direct message (its sender is `target_user`)' })
  target_message_id?: string | null;
  @ApiProperty({ enum: REPORT_REASONS }) reason: string;
  @ApiProperty({ type: String, nullable: true }) comment: string | null;
  @ApiProperty({ description: 'Open: reports on this target still open (grouped). Resolved: reports closed by this resolution' })
  reports_count: number;
  @ApiProperty({ enum: REPORT_STATUSES }) status: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) resolved_at: string | null;
  @ApiPropertyOptional({ enum: REPORT_ACTIONS, nullable: true }) resolution: string | null;
}

export class AdminReportPageResponse {
  @ApiProperty({ type: [AdminReportResponse] }) data: AdminReportResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class ReportIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}

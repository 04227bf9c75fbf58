import { ApiProperty } from '@nestjs/swagger';
import { toUserSummary, UserSummaryResponse } from '@/modules/users/dto/user.response';
import { AUDIT_ACTIONS, AuditEntry } from '../entities/audit-entry.entity';

export class AuditEntryResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: UserSummaryResponse, nullable: true, description: 'null once the acting account is deleted' })
  actor: UserSummaryResponse | null;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: string;
  @ApiProperty({ type: UserSummaryResponse, nullable: true }) target_user: UserSummaryResponse | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The post acted on (it may be removed)' })
  target_post: string | null;
  @ApiProperty({ type: String, nullable: true }) note: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class AuditPageResponse {
  @ApiProperty({ type: [AuditEntryResponse] }) data: AuditEntryResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export function toAuditEntryResponse(entry: AuditEntry): AuditEntryResponse {
  const actor = entry.actor?.getEntity();
  const target = entry.targetUser?.getEntity();
  return {
    id: entry.id,
    actor: actor ? toUserSummary(actor) : null,
    action: entry.action,
    target_user: target ? toUserSummary(target) : null,
    target_post: entry.targetPost?.id ?? null,
    note: entry.note ?? null,
    created_at: entry.createdAt.toISOString(),
  };
}

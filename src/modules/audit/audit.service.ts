import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { Post } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import { AuditEntry, AuditAction } from './entities/audit-entry.entity';
import { AuditLogRepository } from './audit-log.repository';
import { AuditEntryResponse, toAuditEntryResponse } from './dto/audit.dto';

export interface AuditRecord {
  action: AuditAction;
  targetUserId?: string | null;
  targetPostId?: string | null;
  note?: string | null;
}

/** The admin audit log: written only inside the transaction of the action it describes, read by admins. */
@Injectable()
export class AuditService {
  constructor(private readonly entries: AuditLogRepository) {}

  /** Adds the entry to `em`'s unit of work: it commits (or rolls back) with the action. */
  record(em: EntityManager, actor: AuthUser, record: AuditRecord): void {
    em.create(AuditEntry, {
      actor: em.getReference(User, actor.id),
      action: record.action,
      targetUser: record.targetUserId ? em.getReference(User, record.targetUserId) : null,
      targetPost: record.targetPostId ? em.getReference(Post, record.targetPostId) : null,
      note: record.note ?? null,
    });
  }

  async list(query: PageQuery): Promise<Page<AuditEntryResponse>> {
    const rows = await this.entries.page(decodeCursor(query.cursor), query.limit + 1);
    return toPage(rows, query.limit, (r) => ({ at: r.createdAt, id: r.id }), toAuditEntryResponse);
  }
}

import { EntityRepository } from '@mikro-orm/postgresql';
import { NEWEST_FIRST, olderThan } from '@/common/database/keyset';
import { Keyset } from '@/common/http/pagination';
import { AuditEntry } from './entities/audit-entry.entity';

export class AuditLogRepository extends EntityRepository<AuditEntry> {
  /** Newest first over `audit_log_created_idx`, with the users and posts named, in one query. */
  page(cursor: Keyset | undefined, limit: number): Promise<AuditEntry[]> {
    return this.find(olderThan(cursor), { orderBy: NEWEST_FIRST, limit, populate: ['actor', 'targetUser'] });
  }
}

import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { Keyset } from '@/common/http/pagination';
import { Report, ReportStatus } from './entities/report.entity';

/** A queue row: the report standing for its group, and how many reports the group holds. */
export interface QueueRow {
  report: Report;
  count: number;
}

/** Open reports on the same target as `r` (same user, same post or both without one). */
const SAME_OPEN_TARGET = `o.status = 'open' and o.target_user_id = r.target_user_id and o.target_post_id is not distinct from r.target_post_id
  and o.target_message_id is not distinct from r.target_message_id`;

export class ReportsRepository extends EntityRepository<Report> {
  findOpen(reporterId: string, targetUserId: string, targetPostId: string | null, targetMessageId: string | null = null): Promise<Report | null> {
    return this.findOne({ reporter: reporterId, targetUser: targetUserId, targetPost: targetPostId, targetMessage: targetMessageId, status: 'open' });
  }

  /**
   * The admin queue, newest first. Open: one row per target, the group's first report, with the group's size.
   * Resolved: one row per resolution (the report the admin resolved), with the size of the group it closed.
   */
  async queuePage(status: ReportStatus, cursor: Keyset | undefined, limit: number): Promise<QueueRow[]> {
    const em = this.getEntityManager();
    const head =
      status === 'open'
        ? `not exists (select 1 from reports o where ${SAME_OPEN_TARGET} and (o.created_at, o.id) < (r.created_at, r.id))`
        : 'r.resolved_with_id = r.id';
    const count =
      status === 'open'
        ? `(select count(*) from reports o where ${SAME_OPEN_TARGET})`
        : '(select count(*) from reports o where o.resolved_with_id = r.id)';
    const rows = await em.execute<{ id: string; count: string }[]>(
      `select r.id, ${count} as count from reports r
        where r.status = ? and ${head} ${cursor ? 'and (r.created_at, r.id) < (?, ?)' : ''}
        order by r.created_at desc, r.id desc limit ?`,
      cursor ? [status, cursor.at, cursor.id, limit] : [status, limit],
    );
    const reports = new Map((await this.find({ id: { $in: rows.map((r) => r.id) } }, { populate: ['reporter', 'targetUser'] })).map((r) => [r.id, r]));
    return rows.filter((r) => reports.has(r.id)).map((r) => ({ report: reports.get(r.id)!, count: Number(r.count) }));
  }

  /** The report and every other open report on its target, locked for the resolution, oldest first. */
  async lockGroup(em: EntityManager, id: string): Promise<{ report: Report | null; group: Report[] }> {
    const report = await em.findOne(Report, { id }, { lockMode: 4 /* pessimistic write */ });
    if (!report || report.status !== 'open') return { report, group: [] };
    const group = await em.find(
      Report,
      { status: 'open', targetUser: report.targetUser.id, targetPost: report.targetPost?.id ?? null, targetMessage: report.targetMessage?.id ?? null },
      { lockMode: 4, orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return { report, group };
  }

  async groupSize(report: Report): Promise<number> {
    return report.status === 'open'
      ? this.count({ status: 'open', targetUser: report.targetUser.id, targetPost: report.targetPost?.id ?? null })
      : this.count({ resolvedWithId: report.resolvedWithId });
  }
}

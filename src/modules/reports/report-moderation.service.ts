import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, toPage } from '@/common/http/pagination';
import { OutboxService } from '@/common/outbox/outbox.service';
import { AdminService } from '@/modules/admin/admin.service';
import { AuditService } from '@/modules/audit/audit.service';
import { PostsService } from '@/modules/posts/posts.service';
import { toUserSummary } from '@/modules/users/dto/user.response';
import { User } from '@/modules/users/entities/user.entity';
import { AdminReportResponse, ReportQueueQuery, ResolveReportDto } from './dto/reports.dto';
import { Report } from './entities/report.entity';
import { ReportsErrors } from './reports.errors';
import { QueueRow, ReportsRepository } from './reports.repository';

/**
 * The admin side: the queue (open reports grouped by target) and resolution. A resolution, its action, the audit
 * entries and the `report.resolved` event commit in one transaction; reporters are told through the outbox.
 */
@Injectable()
export class ReportModerationService {
  constructor(
    private readonly reports: ReportsRepository,
    private readonly posts: PostsService,
    private readonly admin: AdminService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  async queue(query: ReportQueueQuery): Promise<Page<AdminReportResponse>> {
    const rows = await this.reports.queuePage(query.status, decodeCursor(query.cursor), query.limit + 1);
    const page = toPage(rows, query.limit, (r) => ({ at: r.report.createdAt, id: r.report.id }), (r) => r);
    return { data: await this.render(page.data), next_cursor: page.next_cursor };
  }

  async resolve(actor: AuthUser, id: string, dto: ResolveReportDto): Promise<AdminReportResponse> {
    let revoked: string[] = [];
    const resolved = await this.reports.getEntityManager().fork().transactional(async (em: EntityManager) => {
      const { report, group } = await this.reports.lockGroup(em, id);
      if (!report) throw ReportsErrors.notFound();
      if (report.status !== 'open') throw ReportsErrors.alreadyResolved();
      revoked = await this.applyAction(em, actor, report, dto);
      const now = new Date();
      for (const member of group) {
        em.assign(member, {
          status: 'resolved',
          resolution: dto.action,
          resolutionNote: dto.note ?? null,
          resolvedBy: em.getReference(User, actor.id),
          resolvedWithId: report.id,
          resolvedAt: now,
        });
      }
      const targetPostId = report.targetPost?.id ?? null;
      this.audit.record(em, actor, { action: 'report.resolve', targetUserId: report.targetUser.id, targetPostId, note: dto.note ?? dto.action });
      this.outbox.record(em, 'report.resolved', {
        reports: group.map((r) => ({ reportId: r.id, reporterId: r.reporter.id })),
        postId: targetPostId,
      });
      await em.flush();
      return report;
    });
    await this.admin.dropCachedSessions(revoked);
    const [view] = await this.render([{ report: await this.reports.findOneOrFail(resolved.id, { populate: ['reporter', 'targetUser'] }), count: 0 }]);
    return { ...view, reports_count: await this.reports.groupSize(resolved) };
  }

  /** The resolution's action, with its own audit entry; answers sessions to drop once committed. */
  private async applyAction(em: EntityManager, actor: AuthUser, report: Report, dto: ResolveReportDto): Promise<string[]> {
    if (dto.action === 'remove_post') {
      if (!report.targetPost) throw ReportsErrors.noPost();
      await this.posts.removeByModerator(em, report.targetPost.id);
      this.audit.record(em, actor, { action: 'post.remove', targetUserId: report.targetUser.id, targetPostId: report.targetPost.id, note: dto.note });
    }
    if (dto.action === 'suspend_user') {
      return this.admin.suspendByIdIn(em, actor, report.targetUser.id, dto.note);
    }
    return [];
  }

  private async render(rows: QueueRow[]): Promise<AdminReportResponse[]> {
    const postIds = rows.map((r) => r.report.targetPost?.id).filter((id): id is string => !!id);
    const posts = await this.posts.moderationSummaries([...new Set(postIds)]);
    return rows.map(({ report, count }) => ({
      id: report.id,
      reporter: toUserSummary(report.reporter.getEntity()),
      target_user: toUserSummary(report.targetUser.getEntity()),
      target_post: report.targetPost ? (posts.get(report.targetPost.id) ?? null) : null,
      ...(report.targetMessage ? { target_message_id: report.targetMessage.id } : {}),
      reason: report.reason,
      comment: report.comment ?? null,
      reports_count: count,
      status: report.status,
      created_at: report.createdAt.toISOString(),
      resolved_at: report.resolvedAt?.toISOString() ?? null,
      resolution: report.resolution ?? null,
    }));
  }
}

import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, toPage } from '@/common/http/pagination';
import { DomainEvents } from '@/common/outbox/domain-events';
import { JobName, JobPayloads, RelayedEvent } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { EntitlementsService } from '@/modules/billing/entitlements/entitlements.service';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { PostViewsService } from '@/modules/posts/post-views.service';
import { SocialService } from '@/modules/social/social.service';
import { toUserSummary } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { MarkReadDto, NotificationQuery, NotificationResponse } from './dto/notifications.dto';
import { NotificationHubService } from './notification-hub.service';
import { NewNotification, NotificationRow, NotificationsRepository } from './notifications.repository';

const FAN_OUT_BATCH = 5000;
const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/** A recipient as the visibility policy sees them. */
const asViewer = (id: string): AuthUser => ({ id, role: 'user', sessionId: '' });

@Injectable()
export class NotificationsService {
  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly social: SocialService,
    private readonly policy: PostAccessPolicy,
    private readonly views: PostViewsService,
    private readonly users: UsersService,
    private readonly entitlements: EntitlementsService,
    private readonly hub: NotificationHubService,
    private readonly queues: QueueService,
  ) {}

  /** Turns one relayed domain event into notifications. Idempotent: dedupe keys make a redelivery a no-op. */
  async handle(event: RelayedEvent): Promise<void> {
    const candidates = this.candidates(event);
    if (event.type === 'premium_post.published') {
      const { postId, authorId } = event.payload as DomainEvents['premium_post.published'];
      await this.queues.enqueue(JobName.FanOutSubscribedPost, { postId, authorId, afterSubscriberId: null }, { jobId: `fan-out:${postId}:start` });
      return;
    }
    const allowed: NewNotification[] = [];
    for (const candidate of candidates) {
      if (candidate.type === 'report_resolved') allowed.push(await this.withVisiblePost(candidate));
      else if (await this.mayNotify(candidate)) allowed.push(candidate);
    }
    await this.hub.publish(await this.notifications.insertDeduplicated(allowed));
  }

  private candidates(event: RelayedEvent): NewNotification[] {
    const p = event.payload as unknown as Record<string, string & string[]>;
    switch (event.type) {
      case 'user.followed':
        return [{ userId: p.followingId, fromUserId: p.followerId, type: 'follow', postId: null, dedupeKey: `follow:${p.followerId}` }];
      case 'post.liked':
        return [{ userId: p.authorId, fromUserId: p.userId, type: 'like', postId: p.postId, dedupeKey: `like:${p.userId}:${p.postId}` }];
      case 'post.replied':
        return [{ userId: p.authorId, fromUserId: p.userId, type: 'reply', postId: p.replyId, dedupeKey: `reply:${p.replyId}` }];
      case 'post.reposted':
        return [{ userId: p.authorId, fromUserId: p.userId, type: 'repost', postId: p.postId, dedupeKey: `repost:${p.userId}:${p.postId}` }];
      case 'post.mentioned':
        return p.mentionedUserIds.map((userId) => ({ userId, fromUserId: p.userId, type: 'mention' as const, postId: p.postId, dedupeKey: `mention:${p.postId}` }));
      case 'subscription.activated':
        return [{ userId: p.creatorId, fromUserId: p.subscriberId, type: 'subscription', postId: null, dedupeKey: `subscription:${p.subscriptionId}` }];
      case 'report.resolved': {
        const { reports, postId } = event.payload as DomainEvents['report.resolved'];
        return reports.map((r) => ({ userId: r.reporterId, fromUserId: null, type: 'report_resolved' as const, postId, dedupeKey: `report_resolved:${r.reportId}` }));
      }
      case 'post.unlocked':
        return [{ userId: p.authorId, fromUserId: p.userId, type: 'post_unlocked', postId: p.postId, dedupeKey: `post_unlocked:${p.userId}:${p.postId}` }];
      default:
        return [];
    }
  }

  /** Nobody is notified of their own actions, by someone they block or mute, or about a post they may not see. */
  private async mayNotify(n: NewNotification): Promise<boolean> {
    if (!n.fromUserId || n.userId === n.fromUserId) return false;
    if (await this.social.silences(n.userId, n.fromUserId)) return false;
    return !n.postId || this.isVisibleTo(n.userId, n.postId);
  }

  /** A notice that must reach its recipient names its post only while they may still see it (a removed post: none). */
  private async withVisiblePost(n: NewNotification): Promise<NewNotification> {
    return n.postId && !(await this.isVisibleTo(n.userId, n.postId)) ? { ...n, postId: null } : n;
  }

  private async isVisibleTo(userId: string, postId: string): Promise<boolean> {
    try {
      await this.policy.requireVisible(asViewer(userId), [postId]);
      return true;
    } catch {
      return false; // deleted since, or not visible to the recipient
    }
  }

  /** One batch of a premium post's fan-out, then the next batch as its own job (bounded, resumable work). */
  async fanOutBatch(job: JobPayloads[JobName.FanOutSubscribedPost]): Promise<number> {
    const after = job.afterSubscriberId ?? FIRST_ID;
    const { covered, inserted } = await this.notifications.fanOutSubscribedPost(
      job.postId,
      job.authorId,
      after,
      FAN_OUT_BATCH,
      this.entitlements.subscriptionAccessSql('s'),
    );
    await this.hub.publish(inserted);
    if (covered.length === FAN_OUT_BATCH) {
      const next = covered[covered.length - 1];
      await this.queues.enqueue(JobName.FanOutSubscribedPost, { ...job, afterSubscriberId: next }, { jobId: `fan-out:${job.postId}:${next}` });
    }
    return inserted.length;
  }

  async list(actor: AuthUser, query: NotificationQuery): Promise<Page<NotificationResponse>> {
    const types = [...(query.types ?? []), ...(query['types[]'] ?? [])];
    const rows = await this.notifications.page(actor.id, { types, unread: query.unread }, decodeCursor(query.cursor), query.limit + 1);
    const page = toPage(rows, query.limit, (r) => ({ at: new Date(r.created_at), id: r.id }), (r) => r);
    return { data: await this.render(actor, page.data), next_cursor: page.next_cursor };
  }

  /** Renders notifications for their recipient; one about a post they can no longer see is left out. */
  async render(actor: AuthUser, rows: NotificationRow[]): Promise<NotificationResponse[]> {
    const postIds = [...new Set(rows.map((r) => r.post_id).filter((id): id is string => !!id))];
    const [users, views] = await Promise.all([
      this.users.findActiveByIds([...new Set(rows.map((r) => r.from_user_id).filter((id): id is string => !!id))]),
      this.views.renderByIds(actor, postIds),
    ]);
    const posts = new Map(views.map((p) => [p.id, p]));
    const fromUsers = new Map(users.map((u) => [u.id, u]));
    return rows
      // A notice from the service (no sender) stays when its post is gone; it then names no post.
      .filter((r) => (r.from_user_id ? fromUsers.has(r.from_user_id) && (!r.post_id || posts.has(r.post_id)) : true))
      .map((r) => ({
        id: r.id,
        type: r.type,
        from_user: r.from_user_id ? toUserSummary(fromUsers.get(r.from_user_id)!) : null,
        post: r.post_id ? (posts.get(r.post_id) ?? null) : null,
        read: r.read,
        created_at: new Date(r.created_at).toISOString(),
      }));
  }

  async renderByIds(actor: AuthUser, ids: string[]): Promise<NotificationResponse[]> {
    const rows = (await this.notifications.findRows(ids)).filter((r) => r.user_id === actor.id);
    return this.render(actor, rows);
  }

  async unreadCount(actor: AuthUser): Promise<{ count: number }> {
    return { count: await this.notifications.unreadCount(actor.id) };
  }

  async markRead(actor: AuthUser, dto: MarkReadDto): Promise<void> {
    await this.notifications.markRead(actor.id, { ids: dto.ids, upToId: dto.up_to_id });
  }
}

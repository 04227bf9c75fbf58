import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, toPage } from '@/common/http/pagination';
import { PostViewsService } from '@/modules/posts/post-views.service';
import { toUserSummary } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { MarkReadDto, NotificationQuery, NotificationResponse } from './dto/notifications.dto';
import { NotificationRow, NotificationsRepository } from './notifications.repository';

/** Reading notifications: lists, rendering, unread counts. They are written by `NotificationsSubscriber`. */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly views: PostViewsService,
    private readonly users: UsersService,
  ) {}

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
        tip: r.type === 'tip' && r.amount_cents != null ? { amount_cents: r.amount_cents, currency: r.currency ?? 'usd' } : null,
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

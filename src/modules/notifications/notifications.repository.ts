import { EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { column, SqlFragment, value } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { notBlockedOrMuted } from '@/modules/social/social.predicates';
import { Notification, NotificationType } from './entities/notification.entity';

export interface NewNotification {
  userId: string;
  /** null: a notice from the service itself (`report_resolved`). */
  fromUserId: string | null;
  type: NotificationType;
  postId: string | null;
  dedupeKey: string;
  /** A `tip`'s amount and currency. */
  amountCents?: number | null;
  currency?: string | null;
}

export interface NotificationRow {
  id: string;
  user_id: string;
  from_user_id: string | null;
  type: NotificationType;
  post_id: string | null;
  read: boolean;
  created_at: Date;
  amount_cents: number | null;
  currency: string | null;
}

export interface ListFilter {
  types?: NotificationType[];
  unread?: boolean;
}

export class NotificationsRepository extends EntityRepository<Notification> {
  /** One multi-row insert; a notification whose dedupe key exists is skipped. Answers the inserted rows. */
  async insertDeduplicated(rows: NewNotification[]): Promise<{ id: string; user_id: string }[]> {
    if (!rows.length) return [];
    // Millisecond timestamps: cursors travel as JS dates, so a microsecond part would make pages skip rows.
    const values = rows.map(() => "(?, ?, ?, ?, ?, false, date_trunc('milliseconds', now()), ?, ?, ?)").join(', ');
    return this.getEntityManager().execute(
      `insert into notifications (id, user_id, from_user_id, type, post_id, read, created_at, dedupe_key, amount_cents, currency) values ${values}
       on conflict (user_id, dedupe_key) do nothing returning id, user_id`,
      rows.flatMap((r) => [v7(), r.userId, r.fromUserId, r.type, r.postId, r.dedupeKey, r.amountCents ?? null, r.currency ?? null]),
    );
  }

  /**
   * One batch of `subscribed_post` notifications: the next `batch` subscribers after `afterId` whose `subscriptions`
   * row (aliased `s`) passes `access` (entitlements' rule), minus those who block or mute the creator (social's
   * predicate), in one INSERT … SELECT. Answers the subscriber ids it covered (inserted or already notified) so the
   * caller can continue after the last one.
   */
  async fanOutSubscribedPost(
    postId: string,
    creatorId: string,
    afterId: string,
    batch: number,
    access: SqlFragment,
  ): Promise<{ covered: string[]; inserted: { id: string; user_id: string }[] }> {
    const em = this.getEntityManager();
    const covered = await em.execute<{ subscriber_id: string }[]>(
      `select s.subscriber_id from subscriptions s
        where s.creator_id = ? and s.subscriber_id > ? and ${access.sql}
        order by s.subscriber_id limit ?`,
      [creatorId, afterId, ...access.params, batch],
    );
    if (!covered.length) return { covered: [], inserted: [] };
    const ids = covered.map((r) => r.subscriber_id);
    const reachable = notBlockedOrMuted(column('r.id'), value(creatorId));
    const inserted = await em.execute<{ id: string; user_id: string }[]>(
      `insert into notifications (id, user_id, from_user_id, type, post_id, read, created_at, dedupe_key)
       select uuid_generate_v7(), r.id, ?, 'subscribed_post', ?, false, date_trunc('milliseconds', now()), ?
         from unnest(array[?]::uuid[]) as r(id)
        where ${reachable.sql}
       on conflict (user_id, dedupe_key) do nothing returning id, user_id`,
      [creatorId, postId, `subscribed_post:${postId}`, ids, ...reachable.params],
    );
    return { covered: ids, inserted };
  }

  page(userId: string, filter: ListFilter, cursor: Keyset | undefined, limit: number): Promise<NotificationRow[]> {
    const where = ['n.user_id = ?'];
    const params: unknown[] = [userId];
    if (filter.types?.length) {
      where.push('n.type in (?)');
      params.push(filter.types);
    }
    if (filter.unread) where.push('n.read = false');
    if (cursor) {
      where.push('(n.created_at, n.id) < (?, ?)');
      params.push(cursor.at, cursor.id);
    }
    return this.getEntityManager().execute<NotificationRow[]>(
      `select n.id, n.user_id, n.from_user_id, n.type, n.post_id, n.read, n.created_at, n.amount_cents, n.currency from notifications n
        where ${where.join(' and ')} order by n.created_at desc, n.id desc limit ?`,
      [...params, limit],
    );
  }

  findRows(ids: string[]): Promise<NotificationRow[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.getEntityManager().execute<NotificationRow[]>(
      'select id, user_id, from_user_id, type, post_id, read, created_at, amount_cents, currency from notifications where id in (?)',
      [ids],
    );
  }

  /** Over the partial index `notifications_unread_idx`. */
  async unreadCount(userId: string): Promise<number> {
    const [row] = await this.getEntityManager().execute<{ count: string }[]>(
      'select count(*) as count from notifications where user_id = ? and read = false',
      [userId],
    );
    return Number(row.count);
  }

  async markRead(userId: string, scope: { ids?: string[]; upToId?: string }): Promise<void> {
    const em = this.getEntityManager();
    if (scope.ids) {
      // `{ ids: [] }` marks nothing (and `in ()` is not SQL).
      if (scope.ids.length) await em.execute('update notifications set read = true where user_id = ? and id in (?) and read = false', [userId, scope.ids]);
    } else if (scope.upToId) {
      await em.execute(
        `update notifications set read = true where user_id = ? and read = false
           and (created_at, id) <= (select created_at, id from notifications where id = ? and user_id = ?)`,
        [userId, scope.upToId, userId],
      );
    } else {
      await em.execute('update notifications set read = true where user_id = ? and read = false', [userId]);
    }
  }
}

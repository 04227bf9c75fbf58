import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry, keysetItems } from '@/common/account-data/account-data.registry';
import { UserCountersService } from '@/modules/users/user-counters.service';

/** Posts per erasure batch: each deletion cascades (likes, hashtags, notifications), so fewer than other rows. */
const POSTS_BATCH = 200;
const LIKES_BATCH = 1000;

/**
 * A deleted account's likes and posts, counters of the other side fixed in the same statement. Posts someone paid
 * for (pay-per-view) stay as empty, deleted rows, so the purchase records keep pointing somewhere.
 */
@Injectable()
export class PostsAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
    private readonly users: UserCountersService,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'posts',
      order: 20,
      eraseBatch: (userId) => this.eraseBatch(userId),
      export: (userId, sink) => {
        sink.json('posts.json', this.posts(userId));
        sink.json('likes.json', this.likes(userId));
      },
    });
  }

  async eraseBatch(userId: string): Promise<number> {
    const likes = await this.eraseLikes(userId);
    return likes || (await this.erasePosts(userId));
  }

  private async eraseLikes(userId: string): Promise<number> {
    const [row] = await this.em.fork().execute<{ n: number }[]>(
      `with gone as (delete from likes where id in (select id from likes where user_id = ? limit ?) returning post_id),
            fixed as (update posts p set likes_count = greatest(0, p.likes_count - g.n)
                        from (select post_id, count(*)::int as n from gone group by post_id) g where p.id = g.post_id returning 1)
       select count(*)::int as n from gone`,
      [userId, LIKES_BATCH],
    );
    return row.n;
  }

  /** One transaction per batch: others' reposts of these posts go too (their counts fixed), parents' counters drop. */
  private erasePosts(userId: string): Promise<number> {
    return this.em.fork().transactional(async (em: EntityManager) => {
      const batch = await em.execute<{ id: string }[]>(
        `select id from posts p where user_id = ? and not exists (select 1 from post_unlocks pu where pu.post_id = p.id) limit ?`,
        [userId, POSTS_BATCH],
      );
      const ids = batch.map((r) => r.id);
      if (!ids.length) return this.scrubSold(em, userId);
      const reposts = await em.execute<{ user_id: string }[]>('delete from posts where repost_of_id in (?) and user_id <> ? returning user_id', [
        ids,
        userId,
      ]);
      await this.users.lowerCounts(em, 'posts_count', reposts.map((row) => row.user_id));
      await em.execute(
        `update posts p set replies_count = greatest(0, p.replies_count - c.n)
           from (select reply_to_id as id, count(*)::int as n from posts where id in (?) and reply_to_id is not null and deleted_at is null group by reply_to_id) c
          where p.id = c.id and p.user_id <> ?`,
        [ids, userId],
      );
      await em.execute(
        `update posts p set retweets_count = greatest(0, p.retweets_count - c.n)
           from (select repost_of_id as id, count(*)::int as n from posts where id in (?) and repost_of_id is not null group by repost_of_id) c
          where p.id = c.id and p.user_id <> ?`,
        [ids, userId],
      );
      await em.execute('delete from posts where id in (?)', [ids]);
      return ids.length;
    });
  }

  /** Posts with purchases: content gone, marked deleted; answers how many changed (0 once all are scrubbed). */
  private async scrubSold(em: EntityManager, userId: string): Promise<number> {
    const rows = await em.execute<{ id: string }[]>(
      `update posts set content = '', content_html = null, preview = null, metadata = null, deleted_at = coalesce(deleted_at, now())
        where id in (select id from posts where user_id = ? and (content <> '' or deleted_at is null) limit ?) returning id`,
      [userId, POSTS_BATCH],
    );
    return rows.length;
  }

  private posts(userId: string) {
    type Row = { id: string; content: string; visibility: string; is_premium: boolean; price_cents: number | null; reply_to_id: string | null; repost_of_id: string | null; created_at: Date; edited_at: Date | null };
    return keysetItems<Row, object>(
      (after) =>
        this.em.fork().execute<Row[]>(
          `select id, content, visibility, is_premium, price_cents, reply_to_id, repost_of_id, created_at, edited_at from posts
            where user_id = ? and deleted_at is null ${after ? 'and id > ?' : ''} order by id limit 500`,
          after ? [userId, after.id] : [userId],
        ),
      (row) => ({
        ...row,
        created_at: new Date(row.created_at).toISOString(),
        edited_at: row.edited_at ? new Date(row.edited_at).toISOString() : null,
      }),
    );
  }

  private likes(userId: string) {
    type Row = { id: string; post_id: string; created_at: Date };
    return keysetItems<Row, object>(
      (after) =>
        this.em.fork().execute<Row[]>(
          `select id, post_id, created_at from likes where user_id = ? ${after ? 'and id > ?' : ''} order by id limit 500`,
          after ? [userId, after.id] : [userId],
        ),
      (row) => ({ post_id: row.post_id, liked_at: new Date(row.created_at).toISOString() }),
    );
  }
}

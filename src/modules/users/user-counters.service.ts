import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/**
 * The counters on `users` that other features' changes move: `posts_count` (posts: create, delete, repost) and
 * `following_count`/`followers_count` (social: follow, unfollow, block), and their lowering when an account is erased.
 * Users owns the columns; each method runs in the caller's transaction, so a counter moves with the row it counts.
 */
@Injectable()
export class UserCountersService {
  /**
   * Moves `posts_count` in the caller's transaction, as the statement that created or deleted the post: the row lock
   * of the increment serialises concurrent posts, so the counter stays exact; it never goes below zero.
   */
  async adjustPostsCount(em: EntityManager, userId: string, delta: 1 | -1): Promise<void> {
    await em.execute('update users set posts_count = greatest(posts_count + ?, 0) where id = ?', [delta, userId]);
  }

  /**
   * Account erasure: lowers one counter of many users at once (the other side of a deleted account's follows, or the
   * owners of reposts that went with its posts), in the caller's transaction. `ids` may repeat: each occurrence is one.
   */
  async lowerCounts(em: EntityManager, counter: 'followers_count' | 'following_count' | 'posts_count', ids: string[]): Promise<void> {
    if (!ids.length) return;
    const column = { followers_count: 'followers_count', following_count: 'following_count', posts_count: 'posts_count' }[counter];
    await em.execute(
      `update users u set ${column} = greatest(u.${column} - c.n, 0)
         from (select id, count(*)::int as n from unnest(?::uuid[]) as t(id) group by id) c where u.id = c.id`,
      // One array parameter (the query builder would spread a JS array into a list); ids are UUIDs from our rows.
      [`{${ids.join(',')}}`],
    );
  }

  /**
   * Moves `following_count` of the follower and `followers_count` of the followed in one statement, in the caller's
   * transaction (the one that inserted or deleted the follow). Both rows are locked first, sorted by id, so a follow
   * and the reverse follow at the same moment cannot deadlock: an UPDATE alone visits rows in whatever order its plan
   * (a sequential scan over tuples that earlier updates moved) gives, which differs between transactions.
   */
  async adjustFollowCounts(em: EntityManager, followerId: string, followingId: string, delta: 1 | -1): Promise<void> {
    await em.execute(
      `with locked as (select id from users where id in (?, ?) order by id for no key update)
       update users set following_count = greatest(following_count + case when users.id = ? then ? else 0 end, 0),
                        followers_count = greatest(followers_count + case when users.id = ? then ? else 0 end, 0)
         from locked where users.id = locked.id`,
      [followerId, followingId, followerId, delta, followingId, delta],
    );
  }
}

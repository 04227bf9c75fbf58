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
    // The rows in id order first: the UPDATE alone visits them in its plan's order, another erasure's in another.
    await this.lockUsers(em, ids);
    const column = { followers_count: 'followers_count', following_count: 'following_count', posts_count: 'posts_count' }[counter];
    await em.execute(
      `update users u set ${column} = greatest(u.${column} - c.n, 0)
         from (select id, count(*)::int as n from unnest(?::uuid[]) as t(id) group by id) c where u.id = c.id`,
      // One array parameter (the query builder would spread a JS array into a list); ids are UUIDs from our rows.
      [`{${ids.join(',')}}`],
    );
  }

  /**
   * Locks users rows by id ascending, in the caller's transaction: every transaction that changes follows or blocks
   * calls this for both sides before it touches their `follows`/`blocks` rows (erasure: for the other sides of a
   * batch). So two transactions on one pair queue here holding nothing, and any two take users rows in one global
   * order. Before, a block (deleting a→b, locking the users rows, then deleting b→a) and b's unfollow of a (holding
   * b→a, then waiting for the users rows) deadlocked: 40P01, a 500 (test/e2e/lock-order.e2e-spec.ts).
   */
  async lockUsers(em: EntityManager, ids: string[]): Promise<void> {
    if (!ids.length) return;
    // One array parameter, as in lowerCounts; ids are UUIDs from our rows.
    await em.execute('select id from users where id = any(?::uuid[]) order by id for no key update', [`{${[...new Set(ids)].join(',')}}`]);
  }

  /**
   * Moves `following_count` of the follower and `followers_count` of the followed in one statement, in the caller's
   * transaction (the one that inserted or deleted the follow, after `lockUsers`). Both rows are locked again
   * here, sorted by id (a no-op when the caller holds them): an UPDATE alone visits rows in whatever order its plan (a
   * sequential scan over tuples that earlier updates moved) gives, which differs between transactions.
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

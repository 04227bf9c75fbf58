import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { executeOnReplica } from '@/common/database/read-replica';
import { readSql } from '@/common/database/request-context';
import { column, sql, SqlFragment, value } from '@/common/database/sql-fragment';
import { Answers, askTogether, Questions } from '@/common/database/together';
import { Keyset } from '@/common/http/pagination';
import { notBlockedEitherWay } from '@/modules/social/social.predicates';
import { Post } from '../entities/post.entity';
import { POST_COLUMNS, POST_FROM, POST_LIVE, PostRow } from '../post-row';

/**
 * Reads by id (`findRows`: the re-read after a create or edit, reposted originals, access checks) and the viewer's
 * own likes and reposts run on the primary. Pages of posts (replies, threads, likers) run on a read replica
 * when there is one: a page may lag the primary by the replication delay (see
 * docs/scaling-out.md#read-replicas-which-endpoint-reads-where).
 */
export class PostsRepository extends EntityRepository<Post> {
  private rows(sql: string, params: unknown[], em: EntityManager = this.getEntityManager()): Promise<PostRow[]> {
    return readSql<PostRow[]>(em, sql, params);
  }

  private pageRows(sql: string, params: unknown[]): Promise<PostRow[]> {
    return executeOnReplica<PostRow[]>(this.getEntityManager(), sql, params);
  }

  /** Live posts by id, in no particular order (deleted posts and suspended authors left out). */
  findRows(ids: string[]): Promise<PostRow[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.rows(`select ${POST_COLUMNS} ${POST_FROM} where p.id in (?) and ${POST_LIVE}`, [ids]);
  }

  /** Direct replies, oldest first, over `posts_reply_created_idx`. */
  repliesPage(postId: string, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = cursor ? { sql: 'and (p.created_at, p.id) > (?, ?)', params: [cursor.at, cursor.id] } : { sql: '', params: [] };
    return this.pageRows(
      `select ${POST_COLUMNS} ${POST_FROM} where p.reply_to_id = ? and ${POST_LIVE} ${c.sql} order by p.created_at, p.id limit ?`,
      [postId, ...c.params, limit],
    );
  }

  /** The chain of parents of a post, nearest last; deleted parents are walked through but not returned. */
  ancestors(postId: string, maxDepth = 100): Promise<PostRow[]> {
    return this.pageRows(
      `with recursive chain(id, parent, depth) as (
         select id, reply_to_id, 0 from posts where id = ?
         union all
         select p.id, p.reply_to_id, c.depth + 1 from posts p join chain c on p.id = c.parent where c.depth < ?)
       select ${POST_COLUMNS} from chain c join posts p on p.id = c.id join users u on u.id = p.user_id
        where c.depth > 0 and ${POST_LIVE} order by c.depth desc`,
      [postId, maxDepth],
    );
  }

  /** Every reply below a post (any depth), oldest first, bounded. */
  descendants(postId: string, max = 500): Promise<PostRow[]> {
    return this.pageRows(
      `with recursive tree(id, depth) as (
         select id, 0 from posts where id = ?
         union all
         select p.id, t.depth + 1 from posts p join tree t on p.reply_to_id = t.id where t.depth < 100)
       select ${POST_COLUMNS} from tree t join posts p on p.id = t.id join users u on u.id = p.user_id
        where t.depth > 0 and ${POST_LIVE} order by p.created_at, p.id limit ?`,
      [postId, max],
    );
  }

  /** Of `postIds` (not empty), those the user liked / reposted, as `select id` fragments for `together`. */
  static likedAmongSql(userId: string, postIds: string[]): SqlFragment {
    return { sql: 'select post_id as id from likes where user_id = ? and post_id in (?)', params: [userId, postIds] };
  }

  static repostedAmongSql(userId: string, postIds: string[]): SqlFragment {
    return { sql: 'select repost_of_id as id from posts where user_id = ? and repost_of_id in (?) and deleted_at is null', params: [userId, postIds] };
  }

  /** Several questions about a page (the access rule's relations, likes, reposts, media) in one round trip, on the primary. */
  together(questions: Questions): Promise<Answers> {
    return askTogether(this.getEntityManager(), questions);
  }

  // Writes: counters move in the statement that changes the row, never read-modify-write. The author's `posts_count`
  // is the users module's column: callers move it through UsersService in the same transaction.
  // `created_at` is written from a JS Date (millisecond precision), as for every entity-created row: a keyset cursor
  // carries a JS Date, so a microsecond `now()` would make rows within the same millisecond skip between pages.

  /**
   * The like and its counter; with `thenRecord`, also the outbox event that follows a new like (the outbox's insert
   * from a CTE naming the liked post), all in one statement: it commits on its own, so it needs no transaction.
   * False when the user already liked the post (nothing changes then).
   */
  async addLike(em: EntityManager, id: string, userId: string, postId: string, thenRecord?: (source: string) => SqlFragment): Promise<boolean> {
    const counted = `update posts set likes_count = likes_count + 1 where id in (select post_id from ins) returning id`;
    const outbox = thenRecord?.('counted');
    const rows = await em.execute(
      `with ins as (insert into likes (id, user_id, post_id, created_at) values (?, ?, ?, ?)
                    on conflict (user_id, post_id) do nothing returning post_id)
       ${outbox ? `, counted as (${counted}) ${outbox.sql} returning id` : counted}`,
      [id, userId, postId, new Date(), ...(outbox?.params ?? [])],
    );
    return rows.length > 0;
  }

  async removeLike(em: EntityManager, userId: string, postId: string): Promise<boolean> {
    const rows = await em.execute(
      `with del as (delete from likes where user_id = ? and post_id = ? returning post_id)
       update posts set likes_count = greatest(likes_count - 1, 0) where id in (select post_id from del) returning id`,
      [userId, postId],
    );
    return rows.length > 0;
  }

  /** Inserts a repost row and counts it on the original; false when the user already reposted it. */
  async addRepost(em: EntityManager, id: string, userId: string, postId: string): Promise<boolean> {
    const rows = await em.execute(
      `with ins as (insert into posts (id, user_id, content, repost_of_id, visibility, created_at, updated_at)
                    values (?, ?, '', ?, 'public', ?, ?)
                    on conflict (user_id, repost_of_id) where repost_of_id is not null and deleted_at is null do nothing
                    returning repost_of_id)
       update posts set retweets_count = retweets_count + 1 where id in (select repost_of_id from ins) returning id`,
      [id, userId, postId, new Date(), new Date()],
    );
    return rows.length > 0;
  }

  /**
   * Deletes the user's live repost and uncounts it; false when there is none. A repost a moderator removed already
   * lowered the counters (`PostsService.removeByModerator`) and stays for the audit: undoing it changes nothing.
   */
  async removeRepost(em: EntityManager, userId: string, postId: string): Promise<boolean> {
    const rows = await em.execute(
      `with del as (delete from posts where user_id = ? and repost_of_id = ? and deleted_at is null and removed_at is null returning repost_of_id)
       update posts set retweets_count = greatest(retweets_count - 1, 0) where id in (select repost_of_id from del) returning id`,
      [userId, postId],
    );
    return rows.length > 0;
  }

  async bumpReplies(em: EntityManager, parentId: string | null | undefined, delta: 1 | -1): Promise<void> {
    if (parentId) await em.execute('update posts set replies_count = greatest(replies_count + ?, 0) where id = ?', [delta, parentId]);
  }

  /**
   * Users who liked a post, newest like first, over `likes_post_created_idx`; for a signed-in viewer, nobody across a
   * block with them (a block hides both ways, lists included).
   */
  likersPage(
    postId: string,
    viewerId: string | undefined,
    cursor: Keyset | undefined,
    limit: number,
  ): Promise<{ like_id: string; liked_at: Date; user_id: string }[]> {
    const c = cursor ? { sql: 'and (l.created_at, l.id) < (?, ?)', params: [cursor.at, cursor.id] } : { sql: '', params: [] };
    const unblocked = viewerId ? sql`and ${notBlockedEitherWay(value(viewerId), column('l.user_id'))}` : sql``;
    return executeOnReplica(
      this.getEntityManager(),
      `select l.id as like_id, l.created_at as liked_at, l.user_id from likes l join users u on u.id = l.user_id
        where l.post_id = ? and u.suspended_at is null ${unblocked.sql} ${c.sql} order by l.created_at desc, l.id desc limit ?`,
      [postId, ...unblocked.params, ...c.params, limit],
    );
  }
}

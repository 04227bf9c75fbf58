import { column, SqlFragment, SqlOperand, sql } from '@/common/database/sql-fragment';

/**
 * The social graph's filters as SQL, for queries that filter in the database (timelines, notification fan-out,
 * search). Each is a `not exists (…)` probe of a unique index; the operands are the caller's columns or bound values,
 * e.g. `notBlockedOrMuted(value(viewerId), column('p.user_id'))`. The subquery aliases (`fol`, `blk`, `mut`) are chosen not
 * to shadow the caller's.
 */

/** `follower` follows `followed`: an `exists` probe of the unique `(follower_id, following_id)` index. */
export function follows(follower: SqlOperand, followed: SqlOperand): SqlFragment {
  return sql`exists (select 1 from follows fol where fol.follower_id = ${follower} and fol.following_id = ${followed})`;
}

/** `viewer` mutes `author`. */
export function muted(viewer: SqlOperand, author: SqlOperand): SqlFragment {
  return sql`exists (select 1 from mutes mut where mut.muter_id = ${viewer} and mut.muted_id = ${author})`;
}

/** `viewer` does not mute `author`. */
export function notMuted(viewer: SqlOperand, author: SqlOperand): SqlFragment {
  return sql`not ${muted(viewer, author)}`;
}

/**
 * Not a repost of a post whose author `viewer` mutes (Mastodon's rule: a repost of a muted author's post is muted
 * too); `repostOf` is the caller's `repost_of_id`. Written as one `not exists` (an anti-join the planner can probe per
 * row), not as `repost_of_id is null or exists (… not muted)`: under that `or`, on a small posts table (100k rows),
 * PostgreSQL hashed the whole table once per page (a sequential scan, 0.4 s a page; the scale curve in
 * docs/benchmarks.md found it). `repost_of_id` always names an existing row (a foreign key), so the two say the same.
 */
export function notMutedRepost(viewer: SqlOperand, repostOf: SqlOperand): SqlFragment {
  return sql`not exists (select 1 from posts o where o.id = ${repostOf} and ${muted(viewer, column('o.user_id'))})`;
}

/** Neither of the two blocks the other (a block hides each side from the other). */
export function notBlockedEitherWay(a: SqlOperand, b: SqlOperand): SqlFragment {
  return sql`not exists (select 1 from blocks blk where (blk.blocker_id = ${a} and blk.blocked_id = ${b}) or (blk.blocker_id = ${b} and blk.blocked_id = ${a}))`;
}

/** Nothing of `author` reaches `viewer`: no block either way, and `viewer` does not mute `author`. */
export function notBlockedOrMuted(viewer: SqlOperand, author: SqlOperand): SqlFragment {
  return sql`${notBlockedEitherWay(viewer, author)} and ${notMuted(viewer, author)}`;
}

/**
 * The accounts that follow `followed`, as a `select id` (one column, `id`): the `followers` segment of mass messages,
 * read in follower id order through `follows_following_follower_idx`.
 */
export function followerIdsSql(followed: SqlOperand): SqlFragment {
  return sql`select fol.follower_id as id from follows fol where fol.following_id = ${followed}`;
}

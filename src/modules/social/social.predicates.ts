import { SqlFragment, SqlOperand, sql } from '@/common/database/sql-fragment';

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

/** Neither of the two blocks the other (a block hides each side from the other). */
export function notBlockedEitherWay(a: SqlOperand, b: SqlOperand): SqlFragment {
  return sql`not exists (select 1 from blocks blk where (blk.blocker_id = ${a} and blk.blocked_id = ${b}) or (blk.blocker_id = ${b} and blk.blocked_id = ${a}))`;
}

/** Nothing of `author` reaches `viewer`: no block either way, and `viewer` does not mute `author`. */
export function notBlockedOrMuted(viewer: SqlOperand, author: SqlOperand): SqlFragment {
  return sql`${notBlockedEitherWay(viewer, author)} and ${notMuted(viewer, author)}`;
}

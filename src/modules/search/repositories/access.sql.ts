import { raw, Sql, sql } from './sql';

// TEMPORARY: the access rule in SQL until the policy branch exports its predicates (entitlements: "has access",
// social: "not blocked or muted"); then these go and the search queries call those.

export function hasAccessSql(viewerId: string, creatorColumn: string, graceDays: number): Sql {
  return sql`exists (select 1 from subscriptions s where s.subscriber_id = ${viewerId} and s.creator_id = ${raw(creatorColumn)}
    and (s.status in ('active', 'trialing') or (s.status = 'past_due' and s.current_period_end + make_interval(days => ${graceDays}) > now())))`;
}

/** Uncorrelated, so PostgreSQL hashes the viewer's few blocks once instead of probing per row. */
export function notBlockedSql(viewerId: string, userColumn: string): Sql {
  return sql`${raw(userColumn)} not in (select blocked_id from blocks where blocker_id = ${viewerId}
    union all select blocker_id from blocks where blocked_id = ${viewerId})`;
}

export function notMutedSql(viewerId: string, userColumn: string): Sql {
  return sql`not exists (select 1 from mutes m where m.muter_id = ${viewerId} and m.muted_id = ${raw(userColumn)})`;
}

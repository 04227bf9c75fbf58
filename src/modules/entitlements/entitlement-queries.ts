import { EntityManager } from '@mikro-orm/postgresql';
import { SqlFragment, SqlOperand, sql, value } from '@/common/database/sql-fragment';
import { giftGrantsAccess, giftReachesTierRow } from './gift-access';
import { GRACE_STATUS, subscriptionGrantsAccess, subscriptionReachesTierRow } from './subscriber-access';

/*
 * Entitlements' reads of billing's tables (`subscriptions`, `tiers`, `post_unlocks`, `message_unlocks`, `subscription_revenue`). Billing owns and
 * writes them; this module only reads, in SQL (docs/module-boundaries.md, rule 4), so it needs none of billing's
 * repositories and billing can sit above it.
 */

/** The creators among `creatorIds` (not empty) whose content `subscriberId` may see, as a `select id`. */
export function creatorsWithAccessSql(subscriberId: string, creatorIds: string[], graceDays: number): SqlFragment {
  const access = subscriptionGrantsAccess('s', graceDays);
  return {
    // Or a running gift (gift-access.ts).
    sql: `select s.creator_id as id from subscriptions s where s.subscriber_id = ? and s.creator_id in (?) and ${access.sql}
          union select g.creator_id as id from gifts g where g.recipient_id = ? and g.creator_id in (?) and ${giftGrantsAccess('g').sql}`,
    params: [subscriberId, creatorIds, ...access.params, subscriberId, creatorIds],
  };
}

/**
 * Of the tiers `tierIds` (not empty), those `subscriberId` reaches: a subscription with access to the tier's creator at
 * that tier or a higher one (by `position`), as a `select id` (docs/access-policy.md#tiers).
 */
export function tiersReachedSql(subscriberId: string, tierIds: string[], graceDays: number): SqlFragment {
  const access = subscriptionGrantsAccess('s', graceDays);
  // Or a running gift of that tier or a higher one (gift-access.ts).
  const gift = giftReachesTierRow(value(subscriberId), 'mt');
  return {
    sql: `select mt.id from tiers mt where mt.id in (?) and (exists (select 1 from subscriptions s
            where s.subscriber_id = ? and s.creator_id = mt.creator_id and ${access.sql} and ${subscriptionReachesTierRow('s', 'mt').sql}) or ${gift.sql})`,
    params: [tierIds, subscriberId, ...access.params, ...gift.params],
  };
}

/** `tierId` is one of `creatorId`'s tiers and not archived (what a post may name as its `min_tier_id`). */
export async function isLiveTierOf(em: EntityManager, creatorId: string, tierId: string): Promise<boolean> {
  const [row] = await em.execute<{ ok: boolean }[]>('select exists (select 1 from tiers where id = ? and creator_id = ? and not archived) as ok', [tierId, creatorId]);
  return row.ok;
}

/** Of `postIds` (not empty), those the user bought (and was not refunded), as a `select id`. */
export function unlockedAmongSql(userId: string, postIds: string[]): SqlFragment {
  return { sql: `select post_id as id from post_unlocks where user_id = ? and post_id in (?) and status = 'paid'`, params: [userId, postIds] };
}

/** Of `messageIds` (not empty), the paid messages the user bought (and was not refunded), as a `select id`. */
export function unlockedMessagesAmongSql(userId: string, messageIds: string[]): SqlFragment {
  return {
    sql: `select message_id as id from message_unlocks where user_id = ? and message_id in (?) and status = 'paid'`,
    params: [userId, messageIds],
  };
}

/** `buyer` bought `post` and was not refunded, as a predicate (a probe of the unique `(user_id, post_id)` index). */
export function unlockedSqlOf(buyer: SqlOperand, post: SqlOperand): SqlFragment {
  return sql`exists (select 1 from post_unlocks pun where pun.user_id = ${buyer} and pun.post_id = ${post} and pun.status = 'paid')`;
}

/** Someone bought `message` and was not refunded (a dispute still running counts), as a predicate: what erasure keeps. */
export function messageSoldSql(message: SqlOperand): SqlFragment {
  return sql`exists (select 1 from message_unlocks mun where mun.message_id = ${message} and mun.status <> 'refunded')`;
}

/**
 * A creator's subscribers as a `select id` (one column, `id`): `active`, those whose subscription gives access now (the
 * rule of `subscriber-access.ts`); `expired`, those who had one (its first payment went through: not `incomplete` or
 * `incomplete_expired`) and whose subscription gives no access now (one row per fan and creator: "had one, none now").
 */
export function subscriberIdsSql(creatorId: string, which: 'active' | 'expired', graceDays: number): SqlFragment {
  const access = subscriptionGrantsAccess('sx', graceDays);
  return {
    // `incomplete` and `incomplete_expired`: a first payment that never went through is no subscription the fan had.
    sql:
      which === 'active'
        ? `select sx.subscriber_id as id from subscriptions sx where sx.creator_id = ? and ${access.sql}`
        : `select sx.subscriber_id as id from subscriptions sx where sx.creator_id = ? and sx.status not in ('incomplete', 'incomplete_expired') and not ${access.sql}`,
    params: [creatorId, ...access.params],
  };
}

/**
 * A creator's active subscribers (access now) whose subscription reaches the tier `tierId` (that tier or a higher one,
 * by the tier rank of `subscriber-access.ts`), as a `select id`: mass messages' `tier:<id>` segment. Through
 * `subscriptions_creator_status_idx`, plus primary-key reads of `tiers`.
 */
export function tierSubscriberIdsSql(creatorId: string, tierId: string, graceDays: number): SqlFragment {
  const access = subscriptionGrantsAccess('sx', graceDays);
  return {
    sql: `select sx.subscriber_id as id from subscriptions sx join tiers mt on mt.id = ? and mt.creator_id = sx.creator_id
           where sx.creator_id = ? and ${access.sql} and ${subscriptionReachesTierRow('sx', 'mt').sql}`,
    params: [tierId, creatorId, ...access.params],
  };
}

/** `tierId` is one of `creatorId`'s tiers, archived or not (a mass message's `tier:<id>` segment must be). */
export async function isTierOf(em: EntityManager, creatorId: string, tierId: string): Promise<boolean> {
  const [row] = await em.execute<{ ok: boolean }[]>('select exists (select 1 from tiers where id = ? and creator_id = ?) as ok', [tierId, creatorId]);
  return row.ok;
}

/**
 * What the messages in `copies` (a `select id, group_id` of message ids and the group each counts towards) sold: per
 * group, the purchases that stand (`paid`: not refunded, not disputed) and their sum in cents.
 */
export function messageSalesSql(copies: SqlFragment): SqlFragment {
  return {
    sql: `select c.group_id, count(*)::int as unlocked, coalesce(sum(mun.price_cents), 0)::int8 as revenue
            from (${copies.sql}) c join message_unlocks mun on mun.message_id = c.id
           where mun.status = 'paid' group by c.group_id`,
    params: [...copies.params],
  };
}

/** The ids a `select id` fragment answers. */
export async function selectIds(em: EntityManager, q: SqlFragment): Promise<Set<string>> {
  const rows = await em.execute<{ id: string }[]>(q.sql, [...q.params]);
  return new Set(rows.map((r) => r.id));
}

/**
 * A creator's subscriptions that give access now (the rule of `subscriber-access.ts`) in `currency`: how many, and
 * the sum of their prices per month (`monthlyEquivalentCents`). `active`/`trialing` from `subscription_revenue` (kept by triggers), plus the
 * `past_due` ones still inside the grace period, found through `subscriptions_creator_status_idx`: two index reads
 * whatever the number of subscribers.
 */
/**
 * The subscription row `alias`'s price per month: `price_cents` over the months its billing period covers (12 for a
 * yearly one, `bundle_months` for a bundle), rounded to the cent. The same expression as `subscription_revenue`'s
 * trigger (migrations/Migration20261209250000_mrr_monthly_equivalent.ts).
 */
export function monthlyEquivalentCents(alias: string): string {
  return `round(${alias}.price_cents::numeric / (case when ${alias}.interval = 'year' then 12 else coalesce(${alias}.bundle_months, 1) end))`;
}

export async function revenueOf(em: EntityManager, creatorId: string, currency: string, graceDays: number): Promise<{ subscribers: number; monthlyCents: number }> {
  const access = subscriptionGrantsAccess('s', graceDays);
  const [row] = await em.execute<{ subscribers: number; monthly: string }[]>(
    `select coalesce(r.subscribers, 0) + g.subscribers as subscribers, coalesce(r.monthly_cents, 0) + g.monthly as monthly
       from (select count(*)::int as subscribers, coalesce(sum(${monthlyEquivalentCents('s')}), 0)::int8 as monthly
               from subscriptions s where s.creator_id = ? and s.status = ? and s.currency = ? and ${access.sql}) g
       left join subscription_revenue r on r.creator_id = ? and r.currency = ?`,
    [creatorId, GRACE_STATUS, currency, ...access.params, creatorId, currency],
  );
  return { subscribers: Number(row.subscribers), monthlyCents: Number(row.monthly) };
}

import { SqlFragment, SqlOperand, sql, text } from '@/common/database/sql-fragment';
import type { SubscriptionStatus } from '@/modules/billing/entities/subscription.entity';
import { giftReachesTierRow, hasGiftAccess } from './gift-access';

/**
 * THE rule for "has access to a creator's subscriber content", in its two forms (TypeScript for one row, SQL for
 * queries). Every read path that needs it takes it from here: the post access policy (through EntitlementsService),
 * the timelines' filters, the notification fan-out and search.
 *
 * - `active` and `trialing` give access (also while set to cancel at the period end: Stripe keeps them active);
 * - `past_due` keeps access until `PAST_DUE_GRACE_DAYS` after the paid period ended, while Stripe retries the card;
 * - every other status ends access at once.
 */
// `subscription_revenue` (migrations/Migration20261204000000_earnings.ts) keeps these two statuses' totals by triggers:
// a change here needs a migration of that trigger too.
export const ACCESS_STATUSES: readonly SubscriptionStatus[] = ['active', 'trialing'];
export const GRACE_STATUS: SubscriptionStatus = 'past_due';

const DAY_MS = 86_400_000;

/** The rule for one subscription row, as of `now`. */
export function grantsAccess(sub: { status: SubscriptionStatus; currentPeriodEnd: Date | null }, graceDays: number, now: Date = new Date()): boolean {
  if (ACCESS_STATUSES.includes(sub.status)) return true;
  return sub.status === GRACE_STATUS && !!sub.currentPeriodEnd && sub.currentPeriodEnd.getTime() + graceDays * DAY_MS > now.getTime();
}

const quoted = (statuses: readonly string[]) => statuses.map((s) => `'${s}'`).join(', ');

/**
 * The rule on a `subscriptions` row of the caller's query, aliased `alias`:
 * `(s.status in ('active', 'trialing') or (s.status = 'past_due' and s.current_period_end + make_interval(days => ?) > now()))`.
 * `alias` is an identifier written in our code, never input.
 */
export function subscriptionGrantsAccess(alias: string, graceDays: number): SqlFragment {
  return {
    sql: `(${alias}.status in (${quoted(ACCESS_STATUSES)}) or (${alias}.status = '${GRACE_STATUS}' and ${alias}.current_period_end + make_interval(days => ?) > now()))`,
    params: [graceDays],
  };
}

/**
 * `subscriber` has access to `creator`'s subscriber content: an `exists (…)` over the unique
 * `(subscriber_id, creator_id)` index. Typically `hasSubscriberAccess(value(viewerId), column('p.user_id'), graceDays)`
 * in a posts query. Prefer `EntitlementsService.subscriberAccessSql`, which fills in the configured grace period.
 */
export function hasSubscriberAccess(subscriber: SqlOperand, creator: SqlOperand, graceDays: number): SqlFragment {
  // Or a running gift to the creator (gift-access.ts).
  return sql`(exists (select 1 from subscriptions sa where sa.subscriber_id = ${subscriber} and sa.creator_id = ${creator} and ${subscriptionGrantsAccess('sa', graceDays)}) or ${hasGiftAccess(subscriber, creator)})`;
}

/**
 * The rank of the subscription row `alias` reaches the tier row `tierAlias`: its tier (`tier_id`, the price Stripe
 * reports), or, after a downgrade, the higher tier it paid for until `paid_tier_until`, is at that position or above.
 */
function reaches(alias: string, tierAlias: string): SqlFragment {
  return text(
    `exists (select 1 from tiers st where st.position >= ${tierAlias}.position and (st.id = ${alias}.tier_id or (st.id = ${alias}.paid_tier_id and ${alias}.paid_tier_until > now())))`,
  );
}

/**
 * Tier rank (docs/access-policy.md#tiers): the subscription row aliased `alias` is to a tier at least as high (by
 * `position`, billing's `tiers`) as the tier `minTier` (or paid for one until the period end, after a downgrade).
 * Only meaningful with `subscriptionGrantsAccess` on the same row and `minTier` one of that row's creator's tiers. A
 * row without a tier reaches none.
 */
export function subscriptionReachesTier(alias: string, minTier: SqlOperand): SqlFragment {
  return sql`exists (select 1 from tiers mt where mt.id = ${minTier} and ${reaches(alias, 'mt')})`;
}

/** The tiers `mt` (of the caller's query) the subscription row `alias` reaches: for `tiersReachedSql`. */
export function subscriptionReachesTierRow(alias: string, tierAlias: string): SqlFragment {
  return reaches(alias, tierAlias);
}

/**
 * `subscriber` has access to the tier `minTier` or a higher one of its creator's: `hasSubscriberAccess` with the tier
 * rank, one probe of the `(subscriber_id, creator_id)` index plus two primary-key reads of `tiers`.
 */
export function hasTierAccess(subscriber: SqlOperand, minTier: SqlOperand, graceDays: number): SqlFragment {
  // Or a running gift of that tier or a higher one (gift-access.ts).
  return sql`(exists (select 1 from tiers mt, subscriptions sa where mt.id = ${minTier} and sa.subscriber_id = ${subscriber} and sa.creator_id = mt.creator_id
    and ${subscriptionGrantsAccess('sa', graceDays)} and ${reaches('sa', 'mt')})
    or exists (select 1 from tiers mg where mg.id = ${minTier} and ${giftReachesTierRow(subscriber, 'mg')}))`;
}

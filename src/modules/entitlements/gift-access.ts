import { SqlFragment, SqlOperand, sql, text } from '@/common/database/sql-fragment';

/**
 * Gifts (docs/billing.md#gifts) in the rule of `subscriber-access.ts`: a paid gift (billing's `gifts`, not refunded nor
 * disputed) gives its recipient its tier's access (and every lower tier's) from `starts_at` until `ends_at`, renewing
 * nothing. Each form below is ORed into the subscription form of the same question, so the access policy's `decide()`
 * (through `creatorsWithAccessSql` and `tiersReachedSql`) and its SQL (`hasSubscriberAccess`, `hasTierAccess`) agree.
 */
export function giftGrantsAccess(alias: string): SqlFragment {
  return text(`(${alias}.status = 'paid' and ${alias}.starts_at <= now() and ${alias}.ends_at > now())`);
}

/** `recipient` holds a running gift to `creator` (a probe of `gifts_recipient_creator_index`). */
export function hasGiftAccess(recipient: SqlOperand, creator: SqlOperand): SqlFragment {
  return sql`exists (select 1 from gifts ga where ga.recipient_id = ${recipient} and ga.creator_id = ${creator} and ${giftGrantsAccess('ga')})`;
}

/** `recipient` holds a running gift of the tier row `tierAlias` (of the caller's query) or a higher one of its creator's. */
export function giftReachesTierRow(recipient: SqlOperand, tierAlias: string): SqlFragment {
  return sql`exists (select 1 from gifts gt join tiers gtt on gtt.id = gt.tier_id where gt.recipient_id = ${recipient} and gt.creator_id = ${text(`${tierAlias}.creator_id`)}
    and gtt.position >= ${text(`${tierAlias}.position`)} and ${giftGrantsAccess('gt')})`;
}

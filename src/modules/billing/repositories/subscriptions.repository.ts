import { LockMode } from '@mikro-orm/core';
import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { NEWEST_FIRST, olderThan } from '@/common/database/keyset';
import { SqlFragment } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { Subscription } from '../entities/subscription.entity';
import { GRACE_STATUS, subscriptionGrantsAccess } from '../entitlements/subscriber-access';

export class SubscriptionsRepository extends EntityRepository<Subscription> {
  /** The creators among `creatorIds` whose content `subscriberId` may see (the rule of `subscriber-access.ts`). */
  async creatorsWithAccess(subscriberId: string, creatorIds: string[], graceDays: number): Promise<Set<string>> {
    if (!creatorIds.length) return new Set();
    const q = SubscriptionsRepository.creatorsWithAccessSql(subscriberId, creatorIds, graceDays);
    const rows = await this.getEntityManager().execute<{ id: string }[]>(q.sql, [...q.params]);
    return new Set(rows.map((r) => r.id));
  }

  /** The same as a `select id` (`creatorIds` not empty), to run alone or inside a larger statement. */
  static creatorsWithAccessSql(subscriberId: string, creatorIds: string[], graceDays: number): SqlFragment {
    const access = subscriptionGrantsAccess('s', graceDays);
    return {
      sql: `select s.creator_id as id from subscriptions s where s.subscriber_id = ? and s.creator_id in (?) and ${access.sql}`,
      params: [subscriberId, creatorIds, ...access.params],
    };
  }

  findPair(subscriberId: string, creatorId: string): Promise<Subscription | null> {
    return this.findOne({ subscriber: subscriberId, creator: creatorId });
  }

  /** A keyset page of one user's subscriptions (`subscriber`) or subscribers (`creator`), both users joined in. */
  pageFor(side: 'subscriber' | 'creator', userId: string, cursor: Keyset | undefined, limit: number): Promise<Subscription[]> {
    return this.find(
      { [side]: userId, ...olderThan(cursor) },
      { orderBy: NEWEST_FIRST, limit, populate: ['subscriber', 'creator'], strategy: 'joined' },
    );
  }

  /** Serialises, until the transaction ends, everything done for one Stripe subscription (read, then write). */
  async lockStripeSubscription(em: EntityManager, stripeSubscriptionId: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtext(?))`, [`stripe-subscription:${stripeSubscriptionId}`]);
  }

  /** The database's clock: one clock for every worker, so states read from Stripe order correctly. */
  async clock(em: EntityManager): Promise<Date> {
    const [row] = await em.execute<{ now: Date }[]>('select clock_timestamp() as now');
    return new Date(row.now);
  }

  /** The subscriber and creator of the row that holds this Stripe subscription, in the caller's transaction. */
  async pairOf(em: EntityManager, stripeSubscriptionId: string): Promise<{ subscriberId: string; creatorId: string } | null> {
    const [row] = await em.execute<{ subscriber_id: string; creator_id: string }[]>(
      'select subscriber_id, creator_id from subscriptions where stripe_subscription_id = ?',
      [stripeSubscriptionId],
    );
    return row ? { subscriberId: row.subscriber_id, creatorId: row.creator_id } : null;
  }

  /**
   * A creator's subscriptions that give access now (the rule of `subscriber-access.ts`) in `currency`: how many, and
   * the sum of their monthly prices. `active`/`trialing` from `subscription_revenue` (kept by triggers), plus the
   * `past_due` ones still inside the grace period, found through `subscriptions_creator_status_idx`: two index reads
   * whatever the number of subscribers.
   */
  async revenueOf(creatorId: string, currency: string, graceDays: number): Promise<{ subscribers: number; monthlyCents: number }> {
    const access = subscriptionGrantsAccess('s', graceDays);
    const [row] = await this.getEntityManager().execute<{ subscribers: number; monthly: string }[]>(
      `select coalesce(r.subscribers, 0) + g.subscribers as subscribers, coalesce(r.monthly_cents, 0) + g.monthly as monthly
         from (select count(*)::int as subscribers, coalesce(sum(s.price_cents), 0)::int8 as monthly
                 from subscriptions s where s.creator_id = ? and s.status = ? and s.currency = ? and ${access.sql}) g
         left join subscription_revenue r on r.creator_id = ? and r.currency = ?`,
      [creatorId, GRACE_STATUS, currency, ...access.params, creatorId, currency],
    );
    return { subscribers: Number(row.subscribers), monthlyCents: Number(row.monthly) };
  }

  findPairForUpdate(em: EntityManager, subscriberId: string, creatorId: string): Promise<Subscription | null> {
    return em.findOne(Subscription, { subscriber: subscriberId, creator: creatorId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }
}

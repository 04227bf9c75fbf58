import { LockMode } from '@mikro-orm/core';
import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { NEWEST_FIRST, olderThan } from '@/common/database/keyset';
import { SqlFragment } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { Subscription } from '../entities/subscription.entity';
import { subscriptionGrantsAccess } from '../entitlements/subscriber-access';

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

  findPairForUpdate(em: EntityManager, subscriberId: string, creatorId: string): Promise<Subscription | null> {
    return em.findOne(Subscription, { subscriber: subscriberId, creator: creatorId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }
}

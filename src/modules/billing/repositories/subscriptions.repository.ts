import { LockMode } from '@mikro-orm/core';
import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { NEWEST_FIRST, olderThan } from '@/common/database/keyset';
import { Keyset } from '@/common/http/pagination';
import { Subscription, SubscriptionStatus } from '../entities/subscription.entity';

export class SubscriptionsRepository extends EntityRepository<Subscription> {
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
   * A batch of the creator's subscriptions that Stripe may still bill (`statuses`) and whose payout destination is not
   * `destination` (or not known), after the row id `afterId`, in id order: what the routing job has left to do.
   */
  async toRoute(creatorId: string, destination: string, statuses: readonly SubscriptionStatus[], afterId: string | null, limit: number): Promise<{ id: string; stripeSubscriptionId: string }[]> {
    const rows = await this.getEntityManager().execute<{ id: string; stripe_subscription_id: string }[]>(
      `select id, stripe_subscription_id from subscriptions
        where creator_id = ? and status in (?) and stripe_subscription_id is not null
          and payout_destination is distinct from ? and id > ?
        order by id limit ?`,
      [creatorId, statuses, destination, afterId ?? '00000000-0000-0000-0000-000000000000', limit],
    );
    return rows.map((r) => ({ id: r.id, stripeSubscriptionId: r.stripe_subscription_id }));
  }

  /**
   * The creator's tier of a subscription's price: the one its metadata names (`named`, when it is one of the
   * creator's), else the one whose product it is, else the tier the row had (`kept`), else the creator's first tier;
   * null for a creator without tiers. One query, in the caller's transaction.
   */
  async tierFor(em: EntityManager, creatorId: string, price: { named: string | null; productId: string | null }, kept: string | null): Promise<string | null> {
    const [row] = await em.execute<{ id: string }[]>(
      `select id from tiers where creator_id = ?
       order by coalesce(id = ?, false) desc, coalesce(stripe_product_id = ?, false) desc, coalesce(id = ?, false) desc, position asc limit 1`,
      [creatorId, price.named, price.productId, kept],
    );
    return row?.id ?? null;
  }

  findPairForUpdate(em: EntityManager, subscriberId: string, creatorId: string): Promise<Subscription | null> {
    return em.findOne(Subscription, { subscriber: subscriberId, creator: creatorId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }
}

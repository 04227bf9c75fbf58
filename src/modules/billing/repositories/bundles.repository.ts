import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { CreatorBundle } from '../entities/creator-bundle.entity';

/** Billing's `creator_bundles` and `tier_bundle_prices` (docs/billing.md#bundles). */
export class BundlesRepository extends EntityRepository<CreatorBundle> {
  /** A creator's bundles by length (the primary key's order). */
  listOf(creatorId: string): Promise<CreatorBundle[]> {
    return this.find({ creatorId }, { orderBy: { months: 'asc' } });
  }

  /** The creator's bundle of `months`, if they sell one. */
  findOf(creatorId: string, months: number): Promise<CreatorBundle | null> {
    return this.findOne({ creatorId, months });
  }

  /** Replaces the creator's bundles with `bundles` in one transaction (racing replacements: the last one wins whole). */
  async replace(creatorId: string, bundles: { months: number; discountPercent: number }[]): Promise<void> {
    await this.getEntityManager()
      .fork()
      .transactional(async (em: EntityManager) => {
        await em.execute(`select pg_advisory_xact_lock(hashtextextended('bundles:' || ?, 0))`, [creatorId]);
        await em.execute('delete from creator_bundles where creator_id = ?', [creatorId]);
        for (const b of bundles) em.create(CreatorBundle, { creatorId, months: b.months, discountPercent: b.discountPercent });
      });
  }

  /** The stored Stripe price of `tierId`'s bundle of `months` when it charges `cents`. */
  async storedPrice(tierId: string, months: number, cents: number): Promise<string | null> {
    const [row] = await this.getEntityManager().execute<{ stripe_price_id: string }[]>(
      'select stripe_price_id from tier_bundle_prices where tier_id = ? and months = ? and price_cents = ?',
      [tierId, months, cents],
    );
    return row?.stripe_price_id ?? null;
  }

  /** Stores the Stripe price of `tierId`'s bundle of `months` at `cents`, replacing the one of another amount. */
  async recordPrice(tierId: string, months: number, cents: number, priceId: string): Promise<void> {
    await this.getEntityManager().execute(
      `insert into tier_bundle_prices (tier_id, months, price_cents, stripe_price_id) values (?, ?, ?, ?)
       on conflict (tier_id, months) do update set price_cents = excluded.price_cents, stripe_price_id = excluded.stripe_price_id, created_at = now()`,
      [tierId, months, cents, priceId],
    );
  }
}

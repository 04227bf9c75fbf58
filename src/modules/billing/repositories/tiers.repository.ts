import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { Tier } from '../entities/tier.entity';

/** The first tier's name when the profile's price creates it. */
export const FIRST_TIER_NAME = 'Subscription';

/** Billing's `tiers`. Writes that count a creator's tiers run under `lockCreator` (one transaction per creator at a time). */
export class TiersRepository extends EntityRepository<Tier> {
  /** Serialises tier writes of one creator (the 5-tier limit and positions are exact under concurrency). */
  async lockCreator(em: EntityManager, creatorId: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtextextended('tiers:' || ?, 0))`, [creatorId]);
  }

  async activeCount(em: EntityManager, creatorId: string): Promise<number> {
    const [row] = await em.execute<{ n: number }[]>('select count(*)::int as n from tiers where creator_id = ? and not archived', [creatorId]);
    return row.n;
  }

  async nextPosition(em: EntityManager, creatorId: string): Promise<number> {
    const [row] = await em.execute<{ p: number }[]>('select coalesce(max(position), 0)::int + 1 as p from tiers where creator_id = ?', [creatorId]);
    return row.p;
  }

  /** The creator's first tier (lowest position, archived or not): the one `subscription_price_cents` prices. */
  first(em: EntityManager, creatorId: string): Promise<Tier | null> {
    return em.findOne(Tier, { creatorId }, { orderBy: { position: 'asc' } });
  }

  /** The non-archived tiers of a creator, by position (`tiers_creator_id_position_unique`). */
  listActive(creatorId: string): Promise<Tier[]> {
    return this.find({ creatorId, archived: false }, { orderBy: { position: 'asc' } });
  }

  /**
   * The first tier agrees with the profile's `subscription_price_cents` (`cents`), which stays the source of that
   * amount: created at it when the creator has no tier yet (a price stored before tiers, or without billing), its
   * monthly price set to it when the two differ. Idempotent and race-free (`on conflict do nothing`, one update).
   */
  async alignFirstTier(creatorId: string, cents: number, currency: string): Promise<void> {
    const em = this.getEntityManager();
    await em.execute(
      `insert into tiers (id, creator_id, name, monthly_price_cents, currency, position)
       select uuid_generate_v7(), ?, ?, ?, ?, 1 where not exists (select 1 from tiers where creator_id = ?)
       on conflict do nothing`,
      [creatorId, FIRST_TIER_NAME, cents, currency, creatorId],
    );
    await em.execute('update tiers set monthly_price_cents = ?, updated_at = now() where creator_id = ? and position = 1 and monthly_price_cents <> ?', [
      cents,
      creatorId,
      cents,
    ]);
  }

  /** A deleted account's tiers are archived (idempotent). */
  async archiveAllOf(creatorId: string): Promise<void> {
    await this.getEntityManager().execute('update tiers set archived = true, updated_at = now() where creator_id = ? and not archived', [creatorId]);
  }

  /** Names of these tiers, by id (one query). */
  async namesOf(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.getEntityManager().execute<{ id: string; name: string }[]>('select id, name from tiers where id in (?)', [ids]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}

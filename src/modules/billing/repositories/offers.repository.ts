import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { Offer } from '../entities/offer.entity';

/** Subscription statuses of a subscription that ended (a `returning` fan had one). */
const ENDED_STATUSES = ['canceled', 'unpaid', 'incomplete_expired'];

/**
 * Billing's `offers` and `offer_redemptions` (docs/billing.md#offers). A redemption is reserved with one conditional
 * update of the offer's counter (exact under concurrency: the row lock serialises the claims and each re-checks the
 * limit), and released when its checkout can no longer be paid without the subscription carrying the offer.
 */
export class OffersRepository extends EntityRepository<Offer> {
  /** Serialises offer creation of one creator (the cap on live offers is exact under concurrency). */
  async lockCreator(em: EntityManager, creatorId: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtextextended('offers:' || ?, 0))`, [creatorId]);
  }

  async liveCount(em: EntityManager, creatorId: string): Promise<number> {
    const [row] = await em.execute<{ n: number }[]>('select count(*)::int as n from offers where creator_id = ? and active', [creatorId]);
    return row.n;
  }

  /** The creator's offers not deleted, newest first (`offers_creator_id_created_at_index`; at most MAX_LIVE_OFFERS). */
  listLive(creatorId: string): Promise<Offer[]> {
    return this.find({ creatorId, active: true }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  /** `new`: the fan never had a subscription to the creator; `returning`: one ended (one row per pair). */
  async historyOf(subscriberId: string, creatorId: string): Promise<'none' | 'ended' | 'other'> {
    const [row] = await this.getEntityManager().execute<{ status: string }[]>('select status from subscriptions where subscriber_id = ? and creator_id = ?', [
      subscriberId,
      creatorId,
    ]);
    if (!row) return 'none';
    return ENDED_STATUSES.includes(row.status) ? 'ended' : 'other';
  }

  /**
   * Reserves a redemption of `offer` for the fan, in one transaction: releases the offer's lapsed reservations, then
   * inserts the fan's (kept when they already hold one: `fresh` false, nothing counted twice), then claims a place with
   * one conditional update. `refused`: the offer expired, was deleted or is exhausted (nothing reserved then).
   */
  async reserve(offer: Offer, subscriberId: string, reservedUntil: Date): Promise<{ fresh: boolean } | 'refused' | 'used'> {
    return this.getEntityManager()
      .fork()
      .transactional(async (em: EntityManager) => {
        await this.releaseLapsed(em, offer);
        const [used] = await em.execute<{ one: number }[]>(
          'select 1 as one from subscriptions where subscriber_id = ? and creator_id = ? and offer_code = ?',
          [subscriberId, offer.creatorId, offer.code],
        );
        if (used) return 'used' as const;
        const inserted = await em.execute<{ fresh: boolean }[]>(
          `insert into offer_redemptions (offer_id, subscriber_id, reserved_until) values (?, ?, ?)
           on conflict (offer_id, subscriber_id) do update set reserved_until = greatest(offer_redemptions.reserved_until, excluded.reserved_until)
           returning (xmax = 0) as fresh`,
          [offer.id, subscriberId, reservedUntil],
        );
        const fresh = inserted[0].fresh;
        const [claimed] = await em.execute<{ id: string }[]>(
          `update offers set redemptions_count = redemptions_count + ? where id = ? and active
             and (expires_at is null or expires_at > now()) and (max_redemptions is null or redemptions_count + ? <= max_redemptions)
           returning id`,
          [fresh ? 1 : 0, offer.id, fresh ? 1 : 0],
        );
        // Refused: throwing rolls the reservation back.
        if (!claimed) throw new OfferRefused();
        return { fresh };
      })
      .catch((error: unknown) => {
        if (error instanceof OfferRefused) return 'refused' as const;
        throw error;
      });
  }

  /** Redemptions that count now: reservations not lapsed, and those a subscription with the offer holds. */
  async heldCount(offer: Offer): Promise<number> {
    const [row] = await this.getEntityManager().execute<{ n: number }[]>(
      `select count(*)::int as n from offer_redemptions r where r.offer_id = ? and (r.reserved_until >= now()
         or exists (select 1 from subscriptions s where s.subscriber_id = r.subscriber_id and s.creator_id = ? and s.offer_code = ?))`,
      [offer.id, offer.creatorId, offer.code],
    );
    return row.n;
  }

  /** Gives back a reservation just made (its checkout could not be opened). */
  async release(offerId: string, subscriberId: string): Promise<void> {
    await this.getEntityManager().execute(
      `with gone as (delete from offer_redemptions where offer_id = ? and subscriber_id = ? returning offer_id)
       update offers set redemptions_count = redemptions_count - 1 where id in (select offer_id from gone)`,
      [offerId, subscriberId],
    );
  }

  /**
   * Reservations past their checkout's expiry whose fan holds no subscription with the offer are deleted and
   * uncounted, in one statement (`offer_redemptions_offer_id_reserved_until_index`).
   */
  private async releaseLapsed(em: EntityManager, offer: Offer): Promise<void> {
    await em.execute(
      `with gone as (
         delete from offer_redemptions r where r.offer_id = ? and r.reserved_until < now()
           and not exists (select 1 from subscriptions s where s.subscriber_id = r.subscriber_id and s.creator_id = ? and s.offer_code = ?)
         returning r.offer_id)
       update offers set redemptions_count = redemptions_count - (select count(*) from gone) where id = ? and exists (select 1 from gone)`,
      [offer.id, offer.creatorId, offer.code, offer.id],
    );
  }

  /** Records the Stripe coupon of the offer (the first one stored wins). */
  async recordCoupon(offerId: string, couponId: string): Promise<string> {
    const [row] = await this.getEntityManager().execute<{ stripe_coupon_id: string }[]>(
      'update offers set stripe_coupon_id = coalesce(stripe_coupon_id, ?) where id = ? returning stripe_coupon_id',
      [couponId, offerId],
    );
    return row.stripe_coupon_id;
  }
}

class OfferRefused extends Error {}

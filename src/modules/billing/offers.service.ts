import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { User } from '@/modules/users/entities/user.entity';
import { UsersService } from '@/modules/users/users.service';
import type { CheckoutDiscount } from './checkout.service';
import { CreateOfferDto, OfferListResponse, OfferLookupResponse, OfferReason, OfferResponse, toOfferLookup, toOfferResponse } from './dto/offer.dto';
import { Offer } from './entities/offer.entity';
import { Tier } from './entities/tier.entity';
import { OfferErrors } from './offers.errors';
import { OffersRepository } from './repositories/offers.repository';
import { TiersRepository } from './repositories/tiers.repository';
import { StripeClient } from './stripe/stripe.client';

/** Live (not deleted) offers a creator may have: `GET /me/offers` lists them all. */
export const MAX_LIVE_OFFERS = 100;
/** How long a checkout's reservation is held: Stripe's session expiry (24 h) and an hour of margin for its webhook. */
const RESERVATION_MS = 25 * 3_600_000;

/** A reservation made for a checkout: its discount, and whether this call made it (`fresh`: released on failure). */
export interface OfferReservation extends CheckoutDiscount {
  offerId: string;
  subscriberId: string;
  fresh: boolean;
}

/**
 * Offers (docs/billing.md#offers): creators' codes for a discount (a Stripe coupon applied at Checkout) or a free
 * trial, restricted to tiers and an audience, with a redemption limit counted once per fan, also under concurrency.
 */
@Injectable()
export class OffersService {
  constructor(
    private readonly offers: OffersRepository,
    private readonly tiers: TiersRepository,
    private readonly users: UsersService,
    private readonly stripe: StripeClient,
  ) {}

  async create(actor: AuthUser, dto: CreateOfferDto): Promise<OfferResponse> {
    const creator = await this.users.getActive(actor.id);
    checkShape(dto);
    const tiers = await this.applicableTiers(creator.id, dto.tier_ids);
    if (dto.kind === 'fixed' && tiers.length) {
      const cheapest = Math.min(...tiers.map((t) => t.monthlyPriceCents));
      if (dto.amount_off_cents! >= cheapest) throw OfferErrors.field('amount_off_cents', `Less than the cheapest tier it applies to (${cheapest})`);
    }
    const em = this.offers.getEntityManager().fork();
    try {
      const offer = await em.transactional(async (tx: EntityManager) => {
        await this.offers.lockCreator(tx, creator.id);
        if ((await this.offers.liveCount(tx, creator.id)) >= MAX_LIVE_OFFERS) throw OfferErrors.tooMany(MAX_LIVE_OFFERS);
        return tx.create(Offer, {
          id: v7(),
          creatorId: creator.id,
          code: dto.code,
          kind: dto.kind,
          percentOff: dto.kind === 'percent' ? dto.percent_off : null,
          amountOffCents: dto.kind === 'fixed' ? dto.amount_off_cents : null,
          currency: creator.currency,
          trialDays: dto.kind === 'free_trial' ? dto.trial_days : null,
          duration: dto.duration,
          durationMonths: dto.duration === 'repeating' ? dto.duration_months : null,
          tierIds: dto.tier_ids?.length ? [...new Set(dto.tier_ids)] : null,
          audience: dto.audience,
          maxRedemptions: dto.max_redemptions ?? null,
          expiresAt: dto.expires_at ?? null,
        });
      });
      return toOfferResponse(offer);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw OfferErrors.codeTaken();
      throw error;
    }
  }

  async list(actor: AuthUser): Promise<OfferListResponse> {
    return { data: (await this.offers.listLive(actor.id)).map(toOfferResponse) };
  }

  /** Stops new redemptions; running subscriptions keep their discount (Stripe applies the coupon they were given). */
  async remove(actor: AuthUser, code: string): Promise<void> {
    const em = this.offers.getEntityManager().fork();
    const offer = await em.findOne(Offer, { creatorId: actor.id, code, active: true });
    if (!offer) throw OfferErrors.notFound();
    offer.active = false;
    await em.flush();
  }

  /** `GET /users/:username/offers/:code`: always an answer, `valid` or the first reason it is not. */
  async lookup(viewer: AuthUser | undefined, username: string, code: string): Promise<OfferLookupResponse> {
    const creator = await this.users.getActiveByUsername(username);
    const offer = await this.offers.findOne({ creatorId: creator.id, code, active: true });
    if (!offer) return toOfferLookup(code, null, 'not_found');
    const reason = (await this.staleReason(offer)) ?? (viewer ? await this.audienceReason(offer, viewer.id) : undefined);
    return toOfferLookup(code, offer, reason);
  }

  /**
   * Reserves a redemption of `code` for a checkout of `tier` by `subscriber` (`422` field `offer_code` when it cannot be
   * used), and readies its Stripe coupon. A fan's reservation is counted once however many checkouts they open.
   */
  async reserve(subscriber: User, creator: User, tier: Tier, code: string): Promise<OfferReservation> {
    const offer = await this.offers.findOne({ creatorId: creator.id, code, active: true });
    if (!offer) throw OfferErrors.invalid('no such offer');
    // The limit is the reservation's to decide (a fan holding one keeps it; lapsed ones are released first).
    if (offer.expiresAt && offer.expiresAt <= new Date()) throw OfferErrors.invalid('expired');
    if (await this.audienceReason(offer, subscriber.id)) throw OfferErrors.invalid(`it is for ${offer.audience === 'new' ? 'new' : 'returning'} subscribers`);
    if (offer.tierIds && !offer.tierIds.includes(tier.id)) throw OfferErrors.invalid('it does not apply to this tier');
    const reserved = await this.offers.reserve(offer, subscriber.id, new Date(Date.now() + RESERVATION_MS));
    if (reserved === 'refused') throw OfferErrors.invalid('expired or exhausted');
    if (reserved === 'used') throw OfferErrors.invalid('you already redeemed it');
    const reservation: OfferReservation = { offerId: offer.id, subscriberId: subscriber.id, fresh: reserved.fresh, offerCode: offer.code };
    if (offer.kind === 'free_trial') return { ...reservation, trialDays: offer.trialDays ?? undefined };
    try {
      return { ...reservation, coupon: await this.coupon(offer) };
    } catch (error) {
      await this.release(reservation);
      throw error;
    }
  }

  /** Gives back a reservation this checkout made, when its session could not be opened. */
  async release(reservation: OfferReservation): Promise<void> {
    if (reservation.fresh) await this.offers.release(reservation.offerId, reservation.subscriberId);
  }

  /** The offer's Stripe coupon, created once (idempotency key per offer; the first id stored wins). */
  private async coupon(offer: Offer): Promise<string> {
    if (offer.stripeCouponId) return offer.stripeCouponId;
    const duration: Stripe.CouponCreateParams = {
      duration: offer.duration,
      ...(offer.duration === 'repeating' ? { duration_in_months: offer.durationMonths ?? 1 } : {}),
      name: offer.code,
      metadata: { creator_id: offer.creatorId, offer_id: offer.id },
    };
    const params: Stripe.CouponCreateParams =
      offer.kind === 'percent' ? { ...duration, percent_off: offer.percentOff! } : { ...duration, amount_off: offer.amountOffCents!, currency: offer.currency };
    const created = await this.stripe.call('create a coupon', (stripe) => stripe.coupons.create(params, { idempotencyKey: `x18-coupon:${offer.id}` }));
    return this.offers.recordCoupon(offer.id, created.id);
  }

  /** Expired, or exhausted: every place held by a redemption that counts (lapsed reservations do not). */
  private async staleReason(offer: Offer): Promise<OfferReason | undefined> {
    if (offer.expiresAt && offer.expiresAt <= new Date()) return 'expired';
    if (offer.maxRedemptions != null && offer.redemptionsCount >= offer.maxRedemptions && (await this.offers.heldCount(offer)) >= offer.maxRedemptions) return 'exhausted';
    return undefined;
  }

  private async audienceReason(offer: Offer, viewerId: string): Promise<OfferReason | undefined> {
    if (offer.audience === 'everyone') return undefined;
    const history = await this.offers.historyOf(viewerId, offer.creatorId);
    if (offer.audience === 'new' ? history !== 'none' : history !== 'ended') return 'not_eligible';
    return undefined;
  }

  /** The tiers an offer applies to: `tierIds` (each one of the creator's, not archived: `422` field `tier_ids`), else all. */
  private async applicableTiers(creatorId: string, tierIds: string[] | undefined): Promise<Tier[]> {
    const active = await this.tiers.listActive(creatorId);
    if (!tierIds?.length) return active;
    const chosen = active.filter((t) => tierIds.includes(t.id));
    if (chosen.length !== new Set(tierIds).size) throw OfferErrors.field('tier_ids', "Each must be one of your tiers, not archived");
    return chosen;
  }
}

/** The fields each kind and duration need, and none they do not (`422` on the field). */
function checkShape(dto: CreateOfferDto): void {
  const needs: Record<CreateOfferDto['kind'], keyof CreateOfferDto> = { percent: 'percent_off', fixed: 'amount_off_cents', free_trial: 'trial_days' };
  for (const [kind, field] of Object.entries(needs)) {
    if (kind === dto.kind && dto[field] === undefined) throw OfferErrors.field(field, `Required for a ${kind} offer`);
    if (kind !== dto.kind && dto[field] !== undefined) throw OfferErrors.field(field, `Only for a ${kind} offer`);
  }
  if (dto.duration === 'repeating' && dto.duration_months === undefined) throw OfferErrors.field('duration_months', 'Required for a repeating offer');
  if (dto.duration !== 'repeating' && dto.duration_months !== undefined) throw OfferErrors.field('duration_months', 'Only for a repeating offer');
  if (dto.kind === 'free_trial' && dto.duration !== 'once') throw OfferErrors.field('duration', 'A free trial is `once`');
  if (dto.expires_at && dto.expires_at <= new Date()) throw OfferErrors.field('expires_at', 'Must be in the future');
}

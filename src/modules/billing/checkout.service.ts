import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '@/common/config/app-config';
import { User } from '@/modules/users/entities/user.entity';
import { BillingErrors } from './billing.errors';
import { MessageForSale, PostForSale } from './billing.ports';
import { SaleKind } from './repositories/post-unlocks.repository';
import { SALE_METADATA_KEY } from './sale-items.service';
import { CreatorPricingService } from './creator-pricing.service';
import { BillingProfilesRepository } from './repositories/billing-profiles.repository';
import { CheckoutResponse } from './dto/billing.dto';
import { OpenCheckouts } from './open-checkouts';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { applicationFeeCents } from './connect/platform-fee';
import { AskedCheckout } from './repositories/checkout-sessions.repository';
import { StripeClient, stripeIdempotencyKey } from './stripe/stripe.client';
import { Tier, TierInterval } from './entities/tier.entity';

/** A tip's checkout: who is paid, how much, for what (`post:<id>` or `conversation:<id>`), and the note. */
export interface TipCheckout {
  creatorId: string;
  creatorUsername: string;
  amountCents: number;
  currency: string;
  tipFor: string;
  message?: string | null;
}

/** An offer applied to a subscription's checkout (docs/billing.md#offers): its Stripe coupon, or its free trial. */
export interface CheckoutDiscount {
  offerCode: string;
  coupon?: string;
  trialDays?: number;
}

/** What a subscription's checkout may carry beyond its tier and interval: a bundle's length, an offer's discount. */
export interface SubscriptionExtras {
  bundleMonths?: number | null;
  discount?: CheckoutDiscount;
}

/** A one-time payment as a checkout asks it. `pair`: what the open session is deduplicated on, after its prefix the buyer and route are added. */
interface OneTimeItem {
  sellerId: string;
  amountCents: number;
  currency: string;
  productName: string;
  pair: string;
  metadata: Record<string, string>;
  asked: Pick<AskedCheckout, 'postId' | 'messageId'> & Partial<Pick<AskedCheckout, 'tipFor' | 'tipMessage'>>;
}

/**
 * Stripe Checkout sessions for a subscription or a one-time payment (a pay-per-view post, a paid message, a tip), each paid by the buyer's Stripe customer.
 * A creator with a connected account is paid there (a destination charge: `transfer_data.destination`), less the
 * platform's fee (docs/payouts.md); without one the platform collects, when `CONNECT_REQUIRED=false` allows it.
 */
@Injectable()
export class CheckoutService {
  constructor(
    private readonly stripe: StripeClient,
    private readonly pricing: CreatorPricingService,
    private readonly profiles: BillingProfilesRepository,
    private readonly config: AppConfig,
    private readonly openCheckouts: OpenCheckouts,
    private readonly payouts: PayoutAccountsService,
  ) {}

  /**
   * A subscription to `tier` at `interval` (docs/billing.md#tiers): the tier's current Stripe price for it, its
   * `trial_days` as Stripe's `trial_period_days`.
   */
  async subscription(subscriber: User, creator: User, tier: Tier, interval: TierInterval, idempotencyKey?: string, extras: SubscriptionExtras = {}): Promise<CheckoutResponse> {
    if (!this.stripe.configured) throw BillingErrors.notConfigured();
    const { bundleMonths = null, discount } = extras;
    const { destination } = await this.payouts.routeFor(creator.id);
    // A bundle (docs/billing.md#bundles): its price at Stripe, checked as one of the creator's first (`422`).
    const bundle = bundleMonths == null ? null : await this.pricing.bundlePrice(creator, tier, bundleMonths);
    const price = bundle?.priceId ?? (await this.pricing.tierPrice(creator, tier, interval));
    // The tier is the price's (the webhook maps the price back to it), so what Stripe bills is what gives access.
    const metadata = { subscriber_id: subscriber.id, creator_id: creator.id, ...(discount && { offer_code: discount.offerCode }) };
    // Each invoice of the subscription is paid to the creator's account, Stripe keeping the fee's percentage for us.
    const connect = destination ? { application_fee_percent: this.config.connect.feePercent, transfer_data: { destination } } : {};
    // A free-trial offer's days replace the tier's.
    const trialDays = discount?.trialDays ?? tier.trialDays;
    const trial = trialDays > 0 ? { trial_period_days: trialDays } : {};
    const asked: AskedCheckout = {
      mode: 'subscription',
      buyerId: subscriber.id,
      creatorId: creator.id,
      amountCents: bundle?.cents ?? (interval === 'month' ? tier.monthlyPriceCents : tier.yearlyPriceCents) ?? 0,
      currency: creator.currency,
      destination: destination ?? null,
    };
    const pair = `subscription:${subscriber.id}:${creator.id}:${destination ?? 'platform'}:${tier.id}:${interval}${bundle ? `:${bundleMonths}` : ''}${discount ? `:offer:${discount.offerCode}` : ''}`;
    return this.session(subscriber, pair, asked, idempotencyKey, {
      mode: 'subscription',
      line_items: [{ price, quantity: 1 }],
      ...(discount?.coupon && { discounts: [{ coupon: discount.coupon }] }),
      metadata,
      // Copied onto the subscription, so its own events say whose it is.
      subscription_data: { metadata, ...connect, ...trial },
    });
  }

  /** The Stripe price a subscription to `tier` at `interval` is charged at now (a tier change moves to it). */
  tierPrice(creator: User, tier: Tier, interval: TierInterval): Promise<string> {
    if (!this.stripe.configured) throw BillingErrors.notConfigured();
    return this.pricing.tierPrice(creator, tier, interval);
  }

  unlock(buyer: User, post: PostForSale, idempotencyKey?: string): Promise<CheckoutResponse> {
    return this.oneTime(buyer, this.sale('post', post.id, post.authorId, post.priceCents!, post.currency, `Post by @${post.authorUsername}`, 'unlock'), idempotencyKey);
  }

  /** A paid direct message, bought by its recipient (docs/inbox.md#buying-a-paid-message). */
  unlockMessage(buyer: User, message: MessageForSale, idempotencyKey?: string): Promise<CheckoutResponse> {
    const item = this.sale('message', message.id, message.senderId, message.priceCents!, message.currency, `Message from @${message.senderUsername}`, 'message-unlock');
    return this.oneTime(buyer, item, idempotencyKey);
  }

  /**
   * A tip (docs/inbox.md#tips): `metadata.tip_for` names its target (`post:<id>` or `conversation:<id>`) and
   * `metadata.creator_id` whom it pays, on the session and its payment intent; the note stays in `checkout_sessions`.
   * The open session is per amount and note too: a second tap on the same tip answers the same session, a different
   * tip opens its own.
   */
  tip(buyer: User, tip: TipCheckout, idempotencyKey?: string): Promise<CheckoutResponse> {
    const note = tip.message ?? '';
    return this.oneTime(
      buyer,
      {
        sellerId: tip.creatorId,
        amountCents: tip.amountCents,
        currency: tip.currency,
        productName: `Tip for @${tip.creatorUsername}`,
        pair: `tip:${buyer.id}:${tip.tipFor}:${tip.amountCents}:${createHash('sha256').update(note).digest('hex').slice(0, 32)}`,
        metadata: { tip_for: tip.tipFor, user_id: buyer.id, creator_id: tip.creatorId },
        asked: { postId: null, messageId: null, tipFor: tip.tipFor, tipMessage: tip.message ?? null },
      },
      idempotencyKey,
    );
  }

  /**
   * A gift (docs/billing.md#gifts): `metadata.gift` (`1`) marks it, `gift_id` names its `gifts` row (a refund that
   * overtakes the completion finds it through the payment intent), `creator_id` whom it pays, on the session and its
   * payment intent; who receives what is that row, keyed by the session (GiftsService). The open session is per
   * gift asked (`key`: a digest of tier, months, recipient and note), so a second tap answers the same session.
   */
  gift(buyer: User, gift: { giftId: string; creatorId: string; creatorUsername: string; amountCents: number; currency: string; key: string }, idempotencyKey?: string): Promise<CheckoutResponse> {
    return this.oneTime(
      buyer,
      {
        sellerId: gift.creatorId,
        amountCents: gift.amountCents,
        currency: gift.currency,
        productName: `Gift: a subscription to @${gift.creatorUsername}`,
        pair: `gift:${gift.creatorId}:${gift.key}`,
        metadata: { gift: '1', gift_id: gift.giftId, creator_id: gift.creatorId },
        asked: { postId: null, messageId: null },
      },
      idempotencyKey,
    );
  }

  /** A purchase of an item (a post or a message): `metadata` names it (`post_id` or `message_id`) and the buyer. */
  private sale(kind: SaleKind, itemId: string, sellerId: string, priceCents: number, currency: string, productName: string, pairPrefix: string): OneTimeItem {
    return {
      sellerId,
      amountCents: priceCents,
      currency,
      productName,
      pair: `${pairPrefix}:${itemId}`,
      metadata: { [SALE_METADATA_KEY[kind]]: itemId },
      asked: { postId: kind === 'post' ? itemId : null, messageId: kind === 'message' ? itemId : null },
    };
  }

  /**
   * A one-time payment: `item.metadata` and the buyer (`user_id`) on the session and its payment intent; routed to the
   * seller's connected account less the fee, as every purchase.
   */
  private async oneTime(buyer: User, item: OneTimeItem, idempotencyKey: string | undefined): Promise<CheckoutResponse> {
    if (!this.stripe.configured) throw BillingErrors.notConfigured();
    const { destination } = await this.payouts.routeFor(item.sellerId);
    const metadata = { ...item.metadata, user_id: buyer.id };
    const connect = destination
      ? { application_fee_amount: applicationFeeCents(item.amountCents, this.config.connect.feeBasisPoints), transfer_data: { destination } }
      : {};
    const asked: AskedCheckout = {
      mode: 'payment',
      buyerId: buyer.id,
      creatorId: item.sellerId,
      ...item.asked,
      amountCents: item.amountCents,
      currency: item.currency,
      destination: destination ?? null,
    };
    // The open session is per route too: one opened before the creator connected must not take the money now.
    const [pairPrefix, ...target] = item.pair.split(':');
    return this.session(buyer, [pairPrefix, buyer.id, ...target, destination ?? 'platform'].join(':'), asked, idempotencyKey, {
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: item.currency, unit_amount: item.amountCents, product_data: { name: item.productName } } }],
      metadata,
      // On the payment intent too: a refund (`charge.refunded`) names the intent, not the session.
      payment_intent_data: { metadata, ...connect },
    });
  }

  /** A session for this buyer and target, or the one still open for the same pair (`pair`). */
  private async session(
    buyer: User,
    pair: string,
    asked: AskedCheckout,
    idempotencyKey: string | undefined,
    params: Stripe.Checkout.SessionCreateParams,
  ): Promise<CheckoutResponse> {
    const customer = await this.customer(buyer);
    return this.openCheckouts.reuseOrCreate(pair, asked, () =>
      this.stripe.call('create a checkout session', (stripe) =>
        stripe.checkout.sessions.create(
          { ...params, customer, client_reference_id: buyer.id, success_url: this.config.stripe.successUrl, cancel_url: this.config.stripe.cancelUrl },
          { idempotencyKey: stripeIdempotencyKey(buyer.id, idempotencyKey) },
        ),
      ),
    );
  }

  /**
   * The user's Stripe customer, created once. Racing requests send the same idempotency key, so Stripe answers them
   * the same customer; the conditional update keeps whichever was stored first.
   */
  private async customer(user: User): Promise<string> {
    const { customerId } = await this.profiles.refsOf(user.id);
    if (customerId) return customerId;
    const created = await this.stripe.call('create a customer', (stripe) =>
      stripe.customers.create({ email: user.email, metadata: { user_id: user.id } }, { idempotencyKey: `x18-customer:${user.id}` }),
    );
    return this.profiles.recordCustomer(user.id, created.id);
  }
}

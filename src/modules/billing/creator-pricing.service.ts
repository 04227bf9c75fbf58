import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { CreatorPricing } from '@/modules/users/users.ports';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { BillingErrors } from './billing.errors';
import { Tier, TierInterval } from './entities/tier.entity';
import { BillingProfilesRepository } from './repositories/billing-profiles.repository';
import { BundlesRepository } from './repositories/bundles.repository';
import { bundleCents } from './entities/creator-bundle.entity';
import { FIRST_TIER_NAME, TiersRepository } from './repositories/tiers.repository';
import { StripeClient } from './stripe/stripe.client';

export const MAX_ACTIVE_TIERS = 5;

/**
 * A creator's prices at Stripe (docs/billing.md#tiers): each tier has a product and a price per interval and amount,
 * created once (idempotency keys derived from the creator, the tier and the amount, so racing requests create each
 * object once). A new amount is a new price for new checkouts; running subscriptions keep the price they were bought
 * at (Stripe renews them at it) until they end or change tier. The first tier (position 1) is the profile's
 * `subscription_price_cents`: it keeps the creator's original product and monthly price (`billing_profiles`), so
 * creators from before tiers keep theirs. Every tier has its own product (the first tier the
 * creator's original one) and every price but the first tier's monthly one names its tier in `metadata.tier_id`: the
 * webhook maps a subscription's price back to its tier by either.
 */
@Injectable()
export class CreatorPricingService implements CreatorPricing {
  constructor(
    private readonly stripe: StripeClient,
    private readonly profiles: BillingProfilesRepository,
    private readonly payouts: PayoutAccountsService,
    private readonly tiers: TiersRepository,
    private readonly bundles: BundlesRepository,
  ) {}

  /**
   * For PATCH /me (users' `CREATOR_PRICING` port), before users stores the amount: creates or updates the first tier
   * (`null` archives it). With `CONNECT_REQUIRED=true`, a price only for a creator who can take payments; nothing at
   * Stripe when the amount already has its price.
   */
  async priceFor(creator: User, cents: number | null): Promise<void> {
    const em = this.tiers.getEntityManager().fork();
    if (cents === null) {
      await em.transactional(async (tx: EntityManager) => {
        await this.tiers.lockCreator(tx, creator.id);
        const first = await this.tiers.first(tx, creator.id);
        if (first) first.archived = true;
      });
      return;
    }
    const current = await this.tiers.first(em, creator.id);
    if (current?.yearlyPriceCents != null && current.yearlyPriceCents > 12 * cents) throw BillingErrors.yearlyTooHigh();
    const refs = await this.profiles.refsOf(creator.id);
    const priced = refs.priceId && refs.priceCents === cents;
    const tierId = current?.id ?? v7();
    let priceId: string | null = priced ? refs.priceId : null;
    if (!priced) {
      await this.payouts.assertCanSell(creator.id);
      // Without Stripe (development) only the amount is kept; checkout creates the price once Stripe is configured.
      if (this.stripe.configured) {
        priceId = await this.createPrice(creator, { id: tierId, position: 1 }, 'month', cents, refs.productId);
        await this.profiles.recordPrice(creator.id, cents, priceId);
      }
    }
    await em.transactional(async (tx: EntityManager) => {
      await this.tiers.lockCreator(tx, creator.id);
      const first = await this.tiers.first(tx, creator.id);
      if (first?.archived && (await this.tiers.activeCount(tx, creator.id)) >= MAX_ACTIVE_TIERS) throw BillingErrors.tooManyTiers();
      if (!first && (await this.tiers.activeCount(tx, creator.id)) >= MAX_ACTIVE_TIERS) throw BillingErrors.tooManyTiers();
      const tier =
        first ??
        tx.create(Tier, { id: tierId, creatorId: creator.id, name: FIRST_TIER_NAME, monthlyPriceCents: cents, currency: creator.currency, position: await this.tiers.nextPosition(tx, creator.id) });
      tx.assign(tier, { monthlyPriceCents: cents, archived: false });
      if (priceId) tx.assign(tier, { stripeMonthlyPriceId: priceId, stripeMonthlyPriceCents: cents, stripeProductId: tier.stripeProductId ?? (await this.profiles.refsOf(creator.id)).productId });
    });
  }

  /** The Stripe price of `tier` at `interval` for its current amount, created now when it has none (or was priced without Stripe). */
  async tierPrice(creator: User, tier: Tier, interval: TierInterval): Promise<string> {
    const cents = interval === 'month' ? tier.monthlyPriceCents : tier.yearlyPriceCents;
    if (cents == null) throw BillingErrors.noYearlyPrice();
    const [storedId, storedCents] = interval === 'month' ? [tier.stripeMonthlyPriceId, tier.stripeMonthlyPriceCents] : [tier.stripeYearlyPriceId, tier.stripeYearlyPriceCents];
    if (storedId && storedCents === cents) return storedId;
    const priceId = await this.createPrice(creator, tier, interval, cents, tier.stripeProductId ?? null);
    if (tier.position === 1 && interval === 'month') await this.profiles.recordPrice(creator.id, cents, priceId);
    const [idColumn, centsColumn, amountColumn] =
      interval === 'month' ? ['stripe_monthly_price_id', 'stripe_monthly_price_cents', 'monthly_price_cents'] : ['stripe_yearly_price_id', 'stripe_yearly_price_cents', 'yearly_price_cents'];
    // Only while the amount is still the tier's (a price stored by a request that lost a race to another amount is never charged).
    await this.tiers
      .getEntityManager()
      .execute(`update tiers set ${idColumn} = ?, ${centsColumn} = ?, updated_at = now() where id = ? and ${amountColumn} = ?`, [priceId, cents, tier.id, cents]);
    return priceId;
  }

  /** Readies a tier's prices at Stripe (after a create or a new amount); nothing without Stripe. */
  async readyTier(creator: User, tier: Tier): Promise<void> {
    if (!this.stripe.configured) return;
    await this.tierPrice(creator, tier, 'month');
    if (tier.yearlyPriceCents != null) await this.tierPrice(creator, tier, 'year');
  }

  /**
   * The Stripe price of `tier`'s bundle of `months` (docs/billing.md#bundles) and what it charges, created now when the
   * amount has none: monthly, `interval_count` = months, on the tier's product, `metadata.bundle_months` naming the
   * length. `422` (field `bundle_months`) when the creator sells no such bundle.
   */
  async bundlePrice(creator: User, tier: Tier, months: number): Promise<{ priceId: string; cents: number }> {
    const bundle = await this.bundles.findOf(creator.id, months);
    if (!bundle) throw BillingErrors.unknownBundle();
    const cents = bundleCents(tier.monthlyPriceCents, months, bundle.discountPercent);
    const stored = await this.bundles.storedPrice(tier.id, months, cents);
    if (stored) return { priceId: stored, cents };
    // The tier's monthly price first: it creates the tier's product when it has none yet.
    await this.tierPrice(creator, tier, 'month');
    const [{ product }] = await this.tiers.getEntityManager().execute<{ product: string }[]>('select stripe_product_id as product from tiers where id = ?', [tier.id]);
    const params: Stripe.PriceCreateParams = {
      product,
      unit_amount: cents,
      currency: creator.currency,
      recurring: { interval: 'month', interval_count: months },
      metadata: { creator_id: creator.id, tier_id: tier.id, bundle_months: String(months) },
    };
    const price = await this.stripe.call('create a price', (stripe) =>
      stripe.prices.create(params, { idempotencyKey: `x18-price:${tier.id}:${product}:bundle-${months}:${cents}` }),
    );
    await this.bundles.recordPrice(tier.id, months, cents, price.id);
    return { priceId: price.id, cents };
  }

  private async createPrice(user: User, tier: Pick<Tier, 'id' | 'position'>, interval: TierInterval, cents: number, storedProduct: string | null): Promise<string> {
    const first = tier.position === 1;
    const product = storedProduct ?? (first ? await this.profileProduct(user) : await this.tierProduct(user, tier.id));
    if (!storedProduct) {
      await this.tiers.getEntityManager().execute('update tiers set stripe_product_id = coalesce(stripe_product_id, ?) where id = ?', [product, tier.id]);
    }
    // The first tier's monthly price keeps the key it had before tiers (one price per creator, product and amount).
    const idempotencyKey = first && interval === 'month' ? `x18-price:${user.id}:${product}:${cents}` : `x18-price:${tier.id}:${product}:${interval}:${cents}`;
    // The first tier's monthly price is also the profile's price from before tiers (metadata unchanged): the webhook
    // knows its tier by its product, the first tier's (the creator's original product).
    const metadata: Stripe.MetadataParam = first && interval === 'month' ? { creator_id: user.id } : { creator_id: user.id, tier_id: tier.id };
    const price = await this.stripe.call('create a price', (stripe) =>
      stripe.prices.create({ product, unit_amount: cents, currency: user.currency, recurring: { interval }, metadata }, { idempotencyKey }),
    );
    return price.id;
  }

  private async profileProduct(user: User): Promise<string> {
    const product = await this.stripe.call('create a product', (stripe) =>
      stripe.products.create(
        { name: `Subscription to @${user.username}`, metadata: { creator_id: user.id } },
        { idempotencyKey: `x18-product:${user.id}` },
      ),
    );
    // Stored at once (the price may still fail): a retry finds it instead of creating another after Stripe's 24 h.
    return this.profiles.recordProduct(user.id, product.id);
  }

  private async tierProduct(user: User, tierId: string): Promise<string> {
    const product = await this.stripe.call('create a product', (stripe) =>
      stripe.products.create({ name: `Tier of @${user.username}`, metadata: { creator_id: user.id, tier_id: tierId } }, { idempotencyKey: `x18-product:${user.id}:${tierId}` }),
    );
    return product.id;
  }
}

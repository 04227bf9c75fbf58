import { Injectable } from '@nestjs/common';
import { User } from '@/modules/users/entities/user.entity';
import { CreatorPricing } from '@/modules/users/users.ports';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { BillingProfilesRepository } from './repositories/billing-profiles.repository';
import { StripeClient } from './stripe/stripe.client';

/**
 * A creator's monthly price at Stripe: one product per creator, created once, and one price per amount. A new amount
 * is a new price for new checkouts; running subscriptions keep the price they were bought at (Stripe renews them at
 * it) until they end. Idempotency keys derived from the creator make racing requests create each object once.
 */
@Injectable()
export class CreatorPricingService implements CreatorPricing {
  constructor(
    private readonly stripe: StripeClient,
    private readonly profiles: BillingProfilesRepository,
    private readonly payouts: PayoutAccountsService,
  ) {}

  /**
   * For PATCH /me (users' `CREATOR_PRICING` port), before users stores the amount. With `CONNECT_REQUIRED=true`, only
   * for a creator who can take payments; nothing to do when the amount already has its price.
   */
  async priceFor(creator: User, cents: number): Promise<void> {
    const refs = await this.profiles.refsOf(creator.id);
    if (refs.priceId && refs.priceCents === cents) return;
    await this.payouts.assertCanSell(creator.id);
    // Without Stripe (development) only the amount is kept; checkout creates the price once Stripe is configured.
    if (this.stripe.configured) await this.profiles.recordPrice(creator.id, cents, await this.createPrice(creator, cents, refs.productId));
  }

  /** The Stripe price of the creator's current amount (created now when the amount was set without Stripe). */
  async currentPrice(creator: User): Promise<string> {
    const cents = creator.subscriptionPriceCents!;
    const refs = await this.profiles.refsOf(creator.id);
    if (refs.priceId && refs.priceCents === cents) return refs.priceId;
    const priceId = await this.createPrice(creator, cents, refs.productId);
    await this.profiles.recordPrice(creator.id, cents, priceId);
    return priceId;
  }

  private async createPrice(user: User, cents: number, storedProduct: string | null): Promise<string> {
    const product = storedProduct ?? (await this.product(user));
    const price = await this.stripe.call('create a price', (stripe) =>
      stripe.prices.create(
        { product, unit_amount: cents, currency: user.currency, recurring: { interval: 'month' }, metadata: { creator_id: user.id } },
        { idempotencyKey: `x18-price:${user.id}:${product}:${cents}` },
      ),
    );
    return price.id;
  }

  private async product(user: User): Promise<string> {
    const product = await this.stripe.call('create a product', (stripe) =>
      stripe.products.create(
        { name: `Subscription to @${user.username}`, metadata: { creator_id: user.id } },
        { idempotencyKey: `x18-product:${user.id}` },
      ),
    );
    // Stored at once (the price may still fail): a retry finds it instead of creating another after Stripe's 24 h.
    return this.profiles.recordProduct(user.id, product.id);
  }
}

import { Injectable } from '@nestjs/common';
import { User } from '@/modules/users/entities/user.entity';
import { CreatorPricing } from '@/modules/users/users.ports';
import { UsersService } from '@/modules/users/users.service';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
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
    private readonly users: UsersService,
    private readonly payouts: PayoutAccountsService,
  ) {}

  /** For PATCH /me (users' `CREATOR_PRICING` port). With `CONNECT_REQUIRED=true`, only for a creator who can take payments. */
  async priceFor(creator: User, cents: number): Promise<string | null> {
    await this.payouts.assertCanSell(creator.id);
    // Without Stripe (development) only the amount is kept; checkout creates the price once Stripe is configured.
    return this.stripe.configured ? this.createPrice(creator, cents) : null;
  }

  /** The Stripe price of the creator's current amount (created now when the amount was set without Stripe). */
  async currentPrice(creator: User): Promise<string> {
    if (creator.stripePriceId) return creator.stripePriceId;
    const cents = creator.subscriptionPriceCents!;
    const priceId = await this.createPrice(creator, cents);
    // Only if the amount is still the one priced: a concurrent PATCH /me wins.
    await this.users.recordStripePrice(creator, cents, priceId);
    return priceId;
  }

  private async createPrice(user: User, cents: number): Promise<string> {
    const product = await this.product(user);
    const price = await this.stripe.call('create a price', (stripe) =>
      stripe.prices.create(
        { product, unit_amount: cents, currency: user.currency, recurring: { interval: 'month' }, metadata: { creator_id: user.id } },
        { idempotencyKey: `x18-price:${user.id}:${product}:${cents}` },
      ),
    );
    return price.id;
  }

  private async product(user: User): Promise<string> {
    if (user.stripeProductId) return user.stripeProductId;
    const product = await this.stripe.call('create a product', (stripe) =>
      stripe.products.create(
        { name: `Subscription to @${user.username}`, metadata: { creator_id: user.id } },
        { idempotencyKey: `x18-product:${user.id}` },
      ),
    );
    // Stored at once (the price may still fail): a retry finds it instead of creating another after Stripe's 24 h.
    await this.users.recordStripeProduct(user, product.id);
    return product.id;
  }
}

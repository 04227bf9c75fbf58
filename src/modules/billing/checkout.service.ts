import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '@/common/config/app-config';
import { User } from '@/modules/users/entities/user.entity';
import { BillingErrors } from './billing.errors';
import { PostForSale } from './billing.ports';
import { CreatorPricingService } from './creator-pricing.service';
import { BillingProfilesRepository } from './repositories/billing-profiles.repository';
import { CheckoutResponse } from './dto/billing.dto';
import { OpenCheckouts } from './open-checkouts';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { applicationFeeCents } from './connect/platform-fee';
import { AskedCheckout } from './repositories/checkout-sessions.repository';
import { StripeClient, stripeIdempotencyKey } from './stripe/stripe.client';

/**
 * Stripe Checkout sessions for a subscription or a pay-per-view purchase, each paid by the buyer's Stripe customer.
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

  async subscription(subscriber: User, creator: User, idempotencyKey?: string): Promise<CheckoutResponse> {
    if (!this.stripe.configured) throw BillingErrors.notConfigured();
    const { destination } = await this.payouts.routeFor(creator.id);
    const price = await this.pricing.currentPrice(creator);
    const metadata = { subscriber_id: subscriber.id, creator_id: creator.id };
    // Each invoice of the subscription is paid to the creator's account, Stripe keeping the fee's percentage for us.
    const connect = destination ? { application_fee_percent: this.config.connect.feePercent, transfer_data: { destination } } : {};
    const asked: AskedCheckout = {
      mode: 'subscription',
      buyerId: subscriber.id,
      creatorId: creator.id,
      amountCents: creator.subscriptionPriceCents ?? 0,
      currency: creator.currency,
      destination: destination ?? null,
    };
    return this.session(subscriber, `subscription:${subscriber.id}:${creator.id}:${destination ?? 'platform'}`, asked, idempotencyKey, {
      mode: 'subscription',
      line_items: [{ price, quantity: 1 }],
      metadata,
      // Copied onto the subscription, so its own events say whose it is.
      subscription_data: { metadata, ...connect },
    });
  }

  async unlock(buyer: User, post: PostForSale, idempotencyKey?: string): Promise<CheckoutResponse> {
    if (!this.stripe.configured) throw BillingErrors.notConfigured();
    const { destination } = await this.payouts.routeFor(post.authorId);
    const metadata = { post_id: post.id, user_id: buyer.id };
    const connect = destination
      ? { application_fee_amount: applicationFeeCents(post.priceCents!, this.config.connect.feeBasisPoints), transfer_data: { destination } }
      : {};
    const asked: AskedCheckout = {
      mode: 'payment',
      buyerId: buyer.id,
      creatorId: post.authorId,
      postId: post.id,
      amountCents: post.priceCents!,
      currency: post.currency,
      destination: destination ?? null,
    };
    // The open session is per route too: one opened before the creator connected must not take the money now.
    return this.session(buyer, `unlock:${buyer.id}:${post.id}:${destination ?? 'platform'}`, asked, idempotencyKey, {
      mode: 'payment',
      line_items: [
        {
          quantity: 1,
          price_data: { currency: post.currency, unit_amount: post.priceCents!, product_data: { name: `Post by @${post.authorUsername}` } },
        },
      ],
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

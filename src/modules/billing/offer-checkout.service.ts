import { Injectable } from '@nestjs/common';
import { User } from '@/modules/users/entities/user.entity';
import { CheckoutResponse } from './dto/billing.dto';
import { CheckoutService } from './checkout.service';
import { Tier, TierInterval } from './entities/tier.entity';
import { OffersService } from './offers.service';

/**
 * A subscription's checkout with an optional offer (docs/billing.md#offers): the offer's redemption is reserved first
 * (`422` field `offer_code` when it cannot be used), then the checkout carries its coupon or trial; a reservation this
 * request made is given back when the checkout cannot be opened.
 */
@Injectable()
export class OfferCheckoutService {
  constructor(
    private readonly checkout: CheckoutService,
    private readonly offers: OffersService,
  ) {}

  async subscription(
    subscriber: User,
    creator: User,
    tier: Tier,
    interval: TierInterval,
    { offerCode, bundleMonths = null }: { offerCode?: string; bundleMonths?: number | null },
    idempotencyKey?: string,
  ): Promise<CheckoutResponse> {
    if (!offerCode) return this.checkout.subscription(subscriber, creator, tier, interval, idempotencyKey, { bundleMonths });
    const reservation = await this.offers.reserve(subscriber, creator, tier, offerCode);
    try {
      const { offerCode: code, coupon, trialDays } = reservation;
      return await this.checkout.subscription(subscriber, creator, tier, interval, idempotencyKey, { bundleMonths, discount: { offerCode: code, coupon, trialDays } });
    } catch (error) {
      await this.offers.release(reservation);
      throw error;
    }
  }

  /** The Stripe price a subscription to `tier` at `interval` is charged at now. */
  tierPrice(creator: User, tier: Tier, interval: TierInterval): Promise<string> {
    return this.checkout.tierPrice(creator, tier, interval);
  }
}

import { bundleCents } from './entities/creator-bundle.entity';
import { Tier } from './entities/tier.entity';

/**
 * THE price of a gift of `months` of `tier` (docs/billing.md#gifts), in cents of the creator's currency: today
 * `months × monthly price`, or when the creator sells a bundle of that length the bundle's price (`bundleCents`, the
 * same rounding as a bundle subscription); `bundleDiscountPercent` is that bundle's discount (null: no bundle).
 */
export function giftAmountCents(tier: Pick<Tier, 'monthlyPriceCents'>, months: number, bundleDiscountPercent: number | null = null): number {
  return bundleDiscountPercent ? bundleCents(tier.monthlyPriceCents, months, bundleDiscountPercent) : months * tier.monthlyPriceCents;
}

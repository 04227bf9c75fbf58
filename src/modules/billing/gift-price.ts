import { Tier } from './entities/tier.entity';

/**
 * THE price of a gift of `months` of `tier` (docs/billing.md#gifts), in cents of the creator's currency: today
 * `months × monthly price`. Bundles plug in here: when the creator sells a bundle of that length, the gift costs the
 * bundle's price (`months × monthly × (1 − discount)`); `bundleDiscountPercent` is that discount (null: no bundle).
 */
export function giftAmountCents(tier: Pick<Tier, 'monthlyPriceCents'>, months: number, bundleDiscountPercent: number | null = null): number {
  const full = months * tier.monthlyPriceCents;
  return bundleDiscountPercent ? Math.round((full * (100 - bundleDiscountPercent)) / 100) : full;
}

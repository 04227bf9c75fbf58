import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The Stripe price of a tier's bundle of `months` (docs/billing.md#bundles), for the amount `priceCents` it charges: the
 * tier's current one only while that amount is still the bundle's (as `tiers`' stored prices).
 */
@Entity({ tableName: 'tier_bundle_prices' })
export class TierBundlePrice {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  tierId: string;

  @PrimaryKey({ type: 'smallint' })
  months: number;

  @Property({ type: 'integer' })
  priceCents: number;

  @Property({ type: 'string', length: 255 })
  stripePriceId: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

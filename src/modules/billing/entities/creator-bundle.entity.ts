import { Entity, EntityRepositoryType, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { BundlesRepository } from '../repositories/bundles.repository';

export const BUNDLE_MONTHS = [3, 6, 12] as const;
export type BundleMonths = (typeof BUNDLE_MONTHS)[number];

/**
 * A creator's bundle (docs/billing.md#bundles): `months` of any of their tiers paid at once, at `discount_percent` off
 * that many monthly prices, renewing at the same length. One per length and creator.
 */
@Entity({ tableName: 'creator_bundles', repository: () => BundlesRepository })
export class CreatorBundle {
  [EntityRepositoryType]?: BundlesRepository;
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  creatorId: string;

  @PrimaryKey({ type: 'smallint' })
  months: number;

  @Property({ type: 'smallint' })
  discountPercent: number;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

/** A bundle's price: `months` × the monthly price × (1 − discount), rounded half up to the cent. */
export function bundleCents(monthlyCents: number, months: number, discountPercent: number): number {
  return Math.round((monthlyCents * months * (100 - discountPercent)) / 100);
}

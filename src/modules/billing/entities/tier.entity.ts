import { ArrayType, Entity, EntityRepositoryType, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { TiersRepository } from '../repositories/tiers.repository';

export const TIER_INTERVALS = ['month', 'year'] as const;
export type TierInterval = (typeof TIER_INTERVALS)[number];

/**
 * A creator's subscription tier (docs/billing.md#tiers): ranked by `position` (a higher one includes every lower one),
 * with its Stripe product and its current monthly and yearly prices, each with the amount it charges (a price is the
 * tier's current one only while that amount is the tier's). Archived tiers take no new subscriptions and keep their
 * position (posts and running subscriptions still name them). At most 5 non-archived per creator.
 */
@Entity({ tableName: 'tiers', repository: () => TiersRepository })
@Unique({ name: 'tiers_creator_id_position_unique', properties: ['creatorId', 'position'] })
export class Tier {
  [EntityRepositoryType]?: TiersRepository;
  [OptionalProps]?: 'id' | 'benefits' | 'currency' | 'trialDays' | 'archived' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @Property({ type: 'uuid' })
  creatorId: string;

  @Property({ type: 'string', length: 60 })
  name: string;

  @Property({ type: 'string', length: 500, nullable: true })
  description?: string | null;

  @Property({ type: ArrayType, defaultRaw: "'{}'" })
  benefits: string[] = [];

  @Property({ type: 'integer' })
  monthlyPriceCents: number;

  @Property({ type: 'integer', nullable: true })
  yearlyPriceCents?: number | null;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  @Property({ type: 'integer', default: 0 })
  trialDays: number = 0;

  @Property({ type: 'integer' })
  position: number;

  @Property({ type: 'boolean', default: false })
  archived: boolean = false;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeProductId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeMonthlyPriceId?: string | null;

  @Property({ type: 'integer', nullable: true })
  stripeMonthlyPriceCents?: number | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeYearlyPriceId?: string | null;

  @Property({ type: 'integer', nullable: true })
  stripeYearlyPriceCents?: number | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

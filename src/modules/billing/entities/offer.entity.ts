import { ArrayType, Check, Entity, EntityRepositoryType, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { OffersRepository } from '../repositories/offers.repository';

export const OFFER_KINDS = ['percent', 'fixed', 'free_trial'] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];
export const OFFER_DURATIONS = ['once', 'repeating', 'forever'] as const;
export type OfferDuration = (typeof OFFER_DURATIONS)[number];
export const OFFER_AUDIENCES = ['new', 'returning', 'everyone'] as const;
export type OfferAudience = (typeof OFFER_AUDIENCES)[number];

/**
 * A creator's offer (docs/billing.md#offers): a code giving a discount (a Stripe coupon, created at the first checkout
 * that uses it) or a free trial, for some tiers and an audience, with an optional limit of redemptions and an expiry.
 * `redemptionsCount` counts the reservations held (claimed by one conditional update, released when unused).
 */
@Entity({ tableName: 'offers', repository: () => OffersRepository })
@Unique({ name: 'offers_creator_id_code_unique', properties: ['creatorId', 'code'] })
@Index({ name: 'offers_creator_id_created_at_index', properties: ['creatorId', 'createdAt'] })
@Check({ name: 'offers_redemptions_check', expression: 'redemptions_count >= 0 and (max_redemptions is null or redemptions_count <= max_redemptions)' })
export class Offer {
  [EntityRepositoryType]?: OffersRepository;
  [OptionalProps]?: 'id' | 'currency' | 'redemptionsCount' | 'active' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @Property({ type: 'uuid' })
  creatorId: string;

  @Property({ type: 'string', length: 32 })
  code: string;

  @Enum({ items: [...OFFER_KINDS], columnType: 'varchar(10)' })
  kind: OfferKind;

  @Property({ type: 'integer', nullable: true })
  percentOff?: number | null;

  @Property({ type: 'integer', nullable: true })
  amountOffCents?: number | null;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  @Property({ type: 'integer', nullable: true })
  trialDays?: number | null;

  @Enum({ items: [...OFFER_DURATIONS], columnType: 'varchar(10)' })
  duration: OfferDuration;

  @Property({ type: 'integer', nullable: true })
  durationMonths?: number | null;

  /** Null: every tier of the creator. */
  @Property({ type: ArrayType, columnType: 'uuid[]', nullable: true })
  tierIds?: string[] | null;

  @Enum({ items: [...OFFER_AUDIENCES], columnType: 'varchar(10)' })
  audience: OfferAudience;

  @Property({ type: 'integer', nullable: true })
  maxRedemptions?: number | null;

  @Property({ type: 'integer', default: 0 })
  redemptionsCount: number = 0;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  /** False once the creator deleted it: no new redemptions. */
  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeCouponId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

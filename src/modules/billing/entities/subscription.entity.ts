import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { SubscriptionsRepository } from '../repositories/subscriptions.repository';
import type { TierInterval } from './tier.entity';

/** Stripe's subscription statuses, as Stripe reports them. */
export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'incomplete_expired',
  'active',
  'trialing',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** `subscriber` pays `creator` monthly; one row per pair, updated as Stripe reports changes. */
@Entity({ tableName: 'subscriptions', repository: () => SubscriptionsRepository })
@Unique({ name: 'subscriptions_subscriber_id_creator_id_unique', properties: ['subscriber', 'creator'] })
@Index({ name: 'subscriptions_creator_status_idx', properties: ['creator', 'status'] })
@Index({ name: 'subscriptions_tier_id_index', properties: ['tierId'] })
@Index({
  name: 'subscriptions_subscriber_created_idx',
  expression:
    'create index "subscriptions_subscriber_created_idx" on "subscriptions" ("subscriber_id", "created_at" desc, "id" desc)',
})
@Index({
  name: 'subscriptions_creator_created_idx',
  expression:
    'create index "subscriptions_creator_created_idx" on "subscriptions" ("creator_id", "created_at" desc, "id" desc)',
})
export class Subscription {
  [EntityRepositoryType]?: SubscriptionsRepository;
  [OptionalProps]?: 'id' | 'currency' | 'cancelAtPeriodEnd' | 'interval' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true })
  subscriber: Ref<User>;

  @ManyToOne(() => User, { ref: true })
  creator: Ref<User>;

  @Enum({ items: [...SUBSCRIPTION_STATUSES], columnType: 'varchar(20)' })
  status: SubscriptionStatus;

  @Property({ type: 'integer' })
  priceCents: number;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  /** The creator's tier (billing's `tiers`) the Stripe subscription's price belongs to, as Stripe last reported it. */
  @Property({ type: 'uuid', nullable: true })
  tierId?: string | null;

  /** The billing interval of that price. */
  @Property({ type: 'string', length: 5, default: 'month' })
  interval: TierInterval = 'month';

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  trialEnd?: Date | null;

  /** A bundle's billing period in months (3, 6 or 12: docs/billing.md#bundles), with `interval` `month`; null otherwise. */
  @Property({ type: 'smallint', nullable: true })
  bundleMonths?: number | null;

  /** The offer code the subscription was bought with (its Stripe metadata `offer_code`, docs/billing.md#offers). */
  @Property({ type: 'string', length: 32, nullable: true })
  offerCode?: string | null;

  /**
   * After a downgrade (docs/billing.md#changing-tier): the higher tier the subscriber paid for in the current period,
   * which keeps its rank for access until `paidTierUntil` (the period end Stripe reported at the downgrade).
   */
  @Property({ type: 'uuid', nullable: true })
  paidTierId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  paidTierUntil?: Date | null;

  @Property({ type: 'string', length: 255, nullable: true, unique: 'subscriptions_stripe_subscription_id_unique' })
  stripeSubscriptionId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  currentPeriodStart?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  currentPeriodEnd?: Date | null;

  @Property({ type: 'boolean', default: false })
  cancelAtPeriodEnd: boolean = false;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  canceledAt?: Date | null;

  /**
   * Where the Stripe subscription's invoices pay out (docs/payouts.md#when-a-creator-disconnects): the connected
   * account of its `transfer_data.destination`, `platform` without one, null when not read since the column exists.
   * Kept from every read of the subscription; the routing job compares it with where the creator's money goes now.
   */
  @Property({ type: 'string', length: 255, nullable: true })
  payoutDestination?: string | null;

  /** Stripe's timestamp of the newest state applied: older events arriving late are ignored. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  stripeStateAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

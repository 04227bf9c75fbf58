import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';

/**
 * What a ledger row records. Money: `subscription_payment` (a paid invoice), `unlock` (a paid pay-per-view checkout), `message_unlock` (a bought paid message), `tip` (a paid tip, docs/inbox.md#tips),
 * `refund` and `dispute` (negative), `dispute_won` (a dispute closed in our favour gives the money back). Movements
 * between the platform and the creator's Stripe account (gross, fee and net zero, `amount_cents` what moved):
 * `application_fee`, `application_fee_refund`, `transfer`, `transfer_reversal`. Subscribers (amounts zero):
 * `subscriber_started`, `subscriber_ended`, for the monthly new and churned counts. Referral income (gross, fee and
 * net zero, `amount_cents` the referrer's share, summed as `earnings_months.referral_cents`): `referral_share` and
 * (negative) `referral_share_reversal` (docs/billing.md#referral-rewards).
 */
export const EARNINGS_KINDS = [
  'subscription_payment',
  'unlock',
  'refund',
  'dispute',
  'dispute_won',
  'subscriber_started',
  'subscriber_ended',
  'application_fee',
  'application_fee_refund',
  'transfer',
  'transfer_reversal',
  'message_unlock',
  'tip',
  'referral_share',
  'referral_share_reversal',
  'gift',
] as const;
export type EarningsKind = (typeof EARNINGS_KINDS)[number];

/**
 * One movement of a creator's money (or one subscriber starting or ending), recorded once by the Stripe webhook
 * worker and never changed: a trigger refuses updates and deletes. `stripe_object_id` is what the row is unique on
 * with its kind (the invoice, the checkout session, the refund, the dispute, the application fee or its refund, the
 * transfer or its reversal, the Stripe subscription; refunds recorded before per-refund entries: the charge and the
 * refunded total it reached), so a redelivered or reordered event records nothing twice. Invariant:
 * `net_cents = gross_cents - fee_cents`; `earnings_months` sums these rows (docs/billing.md#earnings).
 */
@Entity({ tableName: 'earnings_entries' })
@Unique({ name: 'earnings_entries_kind_stripe_object_id_unique', properties: ['kind', 'stripeObjectId'] })
@Index({
  name: 'earnings_entries_payment_intent_idx',
  expression:
    'create index "earnings_entries_payment_intent_idx" on "earnings_entries" ("stripe_payment_intent_id") where "stripe_payment_intent_id" is not null',
})
@Index({
  name: 'earnings_entries_charge_idx',
  expression: 'create index "earnings_entries_charge_idx" on "earnings_entries" ("stripe_charge_id") where "stripe_charge_id" is not null',
})
@Index({ name: 'earnings_entries_creator_occurred_idx', properties: ['creator', 'occurredAt'] })
@Index({ name: 'earnings_entries_occurred_idx', properties: ['occurredAt'] })
export class EarningsEntry {
  [OptionalProps]?: 'id' | 'recordedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true })
  creator: Ref<User>;

  @Enum({ items: [...EARNINGS_KINDS], columnType: 'varchar(30)' })
  kind: EarningsKind;

  @Property({ type: 'integer' })
  grossCents: number;

  @Property({ type: 'integer' })
  feeCents: number;

  @Property({ type: 'integer' })
  netCents: number;

  /**
   * The amount of the Stripe object this entry stands for, signed as it moves the creator's money (refunds, withdrawn
   * disputes and reversals negative): what reconciliation compares with Stripe. Zero for subscriber rows.
   */
  @Property({ type: 'integer' })
  amountCents: number;

  /** What discounts (an offer's coupon) took off a paid subscription invoice: its `total_discount_amounts`; else 0. */
  @Property({ type: 'integer', default: 0 })
  discountCents: number = 0;

  @Property({ type: 'string', length: 3 })
  currency: string;

  /** The subscriber or buyer. No action on delete, as every foreign key of this append-only table. */
  @ManyToOne(() => User, { ref: true, nullable: true, deleteRule: 'no action' })
  counterparty?: Ref<User> | null;

  @Property({ type: 'string', length: 255 })
  stripeObjectId: string;

  /** The event that recorded it; null for subscriber rows (recorded from a read of the Stripe subscription). */
  @Property({ type: 'string', length: 255, nullable: true })
  stripeEventId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeInvoiceId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeChargeId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripePaymentIntentId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeCheckoutSessionId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeSubscriptionId?: string | null;

  /** When it happened at Stripe (the event's time, a subscription's start or end): the month it counts in. */
  @Property({ type: 'datetime', columnType: 'timestamptz' })
  occurredAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  recordedAt: Date = new Date();
}

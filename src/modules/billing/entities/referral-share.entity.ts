import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 } from 'uuid';

/**
 * The referrer's share of one payment of a creator they referred (docs/billing.md#referral-rewards): unique on the
 * payment's ledger object (the invoice `in_…` or the checkout session `cs_…`), so a replayed payment books nothing
 * twice. `stripeTransferId` null: pending (the referrer cannot receive transfers yet); a job pays it once they can.
 * `reversedCents`: what refunds and lost disputes of the payment took back, in proportion. Written through SQL only
 * (ReferralSharesRepository); no foreign keys, as the other payment records.
 */
@Entity({ tableName: 'referral_shares' })
@Index({
  name: 'referral_shares_pending_idx',
  expression: 'create index "referral_shares_pending_idx" on "referral_shares" ("referrer_id", "id") where "stripe_transfer_id" is null',
})
@Index({
  name: 'referral_shares_charge_idx',
  expression: 'create index "referral_shares_charge_idx" on "referral_shares" ("stripe_charge_id") where "stripe_charge_id" is not null',
})
@Index({
  name: 'referral_shares_payment_intent_idx',
  expression:
    'create index "referral_shares_payment_intent_idx" on "referral_shares" ("stripe_payment_intent_id") where "stripe_payment_intent_id" is not null',
})
export class ReferralShare {
  [OptionalProps]?: 'id' | 'reversedCents' | 'transferredCents' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  /** The payment's ledger kind (`subscription_payment`, `unlock`, `message_unlock`, `tip`). */
  @Property({ type: 'string', length: 30 })
  paymentKind: string;

  @Property({ type: 'string', length: 255, unique: 'referral_shares_payment_object_id_unique' })
  paymentObjectId: string;

  @Property({ type: 'uuid' })
  referrerId: string;

  /** The referred creator who was paid. */
  @Property({ type: 'uuid' })
  referredId: string;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeChargeId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripePaymentIntentId?: string | null;

  @Property({ type: 'string', length: 3 })
  currency: string;

  @Property({ type: 'integer' })
  paymentGrossCents: number;

  /** The share: `REFERRAL_SHARE_PERCENT` of the payment's fee. */
  @Property({ type: 'integer' })
  amountCents: number;

  @Property({ type: 'integer', default: 0 })
  reversedCents: number = 0;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeTransferId?: string | null;

  /** What the transfer paid: the share less what was reversed before it was paid. */
  @Property({ type: 'integer', default: 0 })
  transferredCents: number = 0;

  /** The payment's time (its ledger `occurred_at`). */
  @Property({ type: 'datetime', columnType: 'timestamptz' })
  occurredAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

import { Entity, ManyToOne, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { User } from '@/modules/users/entities/user.entity';

/**
 * A creator's month (UTC) in one currency: the sums of its `earnings_entries`, kept in the transaction of each new
 * entry, so `GET /me/earnings` reads at most one row per month whatever the number of subscribers. It can be rebuilt
 * from the ledger at any time (docs/billing.md#earnings).
 */
@Entity({ tableName: 'earnings_months' })
export class EarningsMonth {
  @ManyToOne(() => User, { ref: true, primary: true })
  creator: Ref<User>;

  @PrimaryKey({ type: 'string', length: 3 })
  currency: string;

  /** The month's first day. */
  @PrimaryKey({ type: 'date' })
  month: string;

  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  grossCents: string;

  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  feeCents: string;

  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  netCents: string;

  /** What refunds gave back (positive; already subtracted from gross and net). */
  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  refundedCents: string;

  /** Referral income: the referrer's shares less their reversals (docs/billing.md#referral-rewards). */
  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  referralCents: string;

  /** The gross of the month's tips (`tip` entries; their refunds are in refundedCents). */
  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  tipCents: string;

  /** The gross of the month's gifts (`gift` entries; their refunds are in refundedCents). */
  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  giftCents: string;

  /** What discounts took off the month's paid subscription invoices (not in gross). */
  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  discountCents: string;

  @Property({ type: 'integer', default: 0 })
  unlocks: number;

  @Property({ type: 'integer', default: 0 })
  newSubscribers: number;

  @Property({ type: 'integer', default: 0 })
  churnedSubscribers: number;
}

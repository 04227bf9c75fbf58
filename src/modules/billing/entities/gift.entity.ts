import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 } from 'uuid';

export const GIFT_STATUSES = ['pending', 'paid', 'refunded', 'disputed'] as const;
export type GiftStatus = (typeof GIFT_STATUSES)[number];
export const GIFT_MONTHS = [1, 3, 6, 12] as const;

/**
 * A gift (docs/billing.md#gifts): `gifter` pays `creator` for `months` of `tier`'s access for `recipient` (an account,
 * or an e-mail address until redeemed). `pending` until Stripe reports the checkout paid; then `[startsAt, endsAt)` is
 * the grant the access policy honours while `paid`. No foreign keys: a payment record outlives the erasure of either
 * account.
 */
@Entity({ tableName: 'gifts' })
@Index({ name: 'gifts_recipient_creator_index', properties: ['recipientId', 'creatorId', 'endsAt'] })
@Index({ name: 'gifts_creator_id_index', properties: ['creatorId'] })
@Index({ name: 'gifts_gifter_id_index', properties: ['gifterId'] })
export class Gift {
  [OptionalProps]?: 'id' | 'currency' | 'status' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @Property({ type: 'uuid' })
  gifterId: string;

  @Property({ type: 'uuid' })
  creatorId: string;

  @Property({ type: 'uuid' })
  tierId: string;

  @Property({ type: 'uuid', nullable: true })
  recipientId?: string | null;

  @Property({ type: 'string', length: 320, nullable: true })
  recipientEmail?: string | null;

  @Property({ type: 'smallint' })
  months: number;

  @Property({ type: 'string', length: 500, nullable: true })
  message?: string | null;

  @Property({ type: 'integer' })
  amountCents: number;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  @Enum({ items: [...GIFT_STATUSES], columnType: 'varchar(20)', default: 'pending' })
  status: GiftStatus = 'pending';

  @Property({ type: 'string', length: 255, unique: 'gifts_stripe_checkout_session_id_unique' })
  stripeCheckoutSessionId: string;

  @Property({ type: 'string', length: 255, nullable: true, unique: 'gifts_stripe_payment_intent_id_unique' })
  stripePaymentIntentId?: string | null;

  @Property({ type: 'string', length: 64, nullable: true, unique: 'gifts_redeem_token_hash_unique' })
  redeemTokenHash?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  startsAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  endsAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  paidAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  redeemedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  refundedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

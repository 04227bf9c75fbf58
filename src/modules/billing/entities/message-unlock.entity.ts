import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { POST_UNLOCK_STATUSES, PostUnlockStatus } from './post-unlock.entity';

/**
 * `user` bought a paid direct message (docs/inbox.md#buying-a-paid-message); the statuses and their rules are those of
 * `post_unlocks`. No foreign keys: the purchase is a payment record that outlives the message's erasure.
 */
@Entity({ tableName: 'message_unlocks' })
@Unique({ name: 'message_unlocks_user_id_message_id_unique', properties: ['userId', 'messageId'] })
@Index({ name: 'message_unlocks_stripe_payment_intent_id_index', properties: ['stripePaymentIntentId'] })
export class MessageUnlock {
  [OptionalProps]?: 'id' | 'currency' | 'status' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @Property({ type: 'uuid' })
  userId: string;

  @Property({ type: 'uuid' })
  messageId: string;

  @Property({ type: 'integer' })
  priceCents: number;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  @Enum({ items: [...POST_UNLOCK_STATUSES], columnType: 'varchar(20)', default: 'paid' })
  status: PostUnlockStatus = 'paid';

  @Property({ type: 'string', length: 255, nullable: true, unique: 'message_unlocks_stripe_checkout_session_id_unique' })
  stripeCheckoutSessionId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripePaymentIntentId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  refundedAt?: Date | null;
}

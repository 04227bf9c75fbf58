import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { POST_UNLOCK_STATUSES, PostUnlockStatus } from './post-unlock.entity';

/**
 * A paid tip (docs/inbox.md#tips): `tipper` paid `creator` `amountCents`, on a post (`postId`) or in their conversation
 * (`conversationId`), with an optional note. Written by the webhook worker once the checkout is paid; `refunded` and
 * `disputed` as for unlocks. No foreign keys: a payment record outlives the erasure of either account or of the item.
 */
@Entity({ tableName: 'tips' })
@Index({ name: 'tips_creator_id_index', properties: ['creatorId'] })
@Index({ name: 'tips_tipper_id_index', properties: ['tipperId'] })
export class Tip {
  [OptionalProps]?: 'id' | 'currency' | 'status' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @Property({ type: 'uuid' })
  tipperId: string;

  @Property({ type: 'uuid' })
  creatorId: string;

  @Property({ type: 'uuid', nullable: true })
  postId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  conversationId?: string | null;

  @Property({ type: 'integer' })
  amountCents: number;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  @Property({ type: 'string', length: 280, nullable: true })
  message?: string | null;

  @Enum({ items: [...POST_UNLOCK_STATUSES], columnType: 'varchar(20)', default: 'paid' })
  status: PostUnlockStatus = 'paid';

  @Property({ type: 'string', length: 255, nullable: true, unique: 'tips_stripe_checkout_session_id_unique' })
  stripeCheckoutSessionId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true, unique: 'tips_stripe_payment_intent_id_unique' })
  stripePaymentIntentId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  refundedAt?: Date | null;
}

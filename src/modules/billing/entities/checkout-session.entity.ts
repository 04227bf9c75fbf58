import { Entity, EntityRepositoryType, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { CheckoutSessionsRepository } from '../repositories/checkout-sessions.repository';

export const CHECKOUT_SESSION_STATUSES = ['open', 'complete', 'expired'] as const;
export type CheckoutSessionStatus = (typeof CHECKOUT_SESSION_STATUSES)[number];

/**
 * A Stripe Checkout session the service opened, with what it asked: the buyer, the target, the amount and the
 * connected account it pays (`destination`). A `checkout.session.completed` is applied only for a session found here,
 * at the amount asked; a deauthorized account's open sessions are found here and expired. No foreign keys: like the
 * payment records, a row outlives an erased account and names nobody but by id.
 */
@Entity({ tableName: 'checkout_sessions', repository: () => CheckoutSessionsRepository })
@Index({
  name: 'checkout_sessions_open_destination_idx',
  expression: `create index "checkout_sessions_open_destination_idx" on "checkout_sessions" ("destination") where "status" = 'open' and "destination" is not null`,
})
export class CheckoutSession {
  [EntityRepositoryType]?: CheckoutSessionsRepository;
  [OptionalProps]?: 'status' | 'createdAt';

  /** Stripe's id (`cs_…`). */
  @PrimaryKey({ type: 'string', length: 255 })
  id: string;

  @Enum({ items: ['subscription', 'payment'], columnType: 'varchar(20)' })
  mode: 'subscription' | 'payment';

  @Property({ type: 'uuid' })
  buyerId: string;

  /** The creator paid (the post's author for a purchase). */
  @Property({ type: 'uuid' })
  creatorId: string;

  /** The post bought (payment mode). */
  @Property({ type: 'uuid', nullable: true })
  postId?: string | null;

  /** The paid direct message bought (payment mode). */
  @Property({ type: 'uuid', nullable: true })
  messageId?: string | null;

  /** A tip's target (payment mode, docs/inbox.md#tips): `post:<id>` or `conversation:<id>`, as `metadata.tip_for`. */
  @Property({ type: 'string', length: 100, nullable: true })
  tipFor?: string | null;

  /** A tip's note, delivered as the tip message's content once paid (kept here, not sent to Stripe). */
  @Property({ type: 'string', length: 280, nullable: true })
  tipMessage?: string | null;

  /** What the session asks: the post's price, or the subscription's monthly price. */
  @Property({ type: 'integer' })
  amountCents: number;

  @Property({ type: 'string', length: 3 })
  currency: string;

  /** The creator's connected account the payment is routed to; null when the platform collects. */
  @Property({ type: 'string', length: 255, nullable: true })
  destination?: string | null;

  @Enum({ items: [...CHECKOUT_SESSION_STATUSES], columnType: 'varchar(10)', default: 'open' })
  status: CheckoutSessionStatus = 'open';

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}

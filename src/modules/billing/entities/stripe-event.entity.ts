import { Entity, EntityRepositoryType, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { StripeEventsRepository } from '../repositories/stripe-events.repository';

/** A verified Stripe webhook event, stored once (by `stripeEventId`) before a worker applies it. */
@Entity({ tableName: 'stripe_events', repository: () => StripeEventsRepository })
@Index({
  name: 'stripe_events_unprocessed_idx',
  expression: 'create index "stripe_events_unprocessed_idx" on "stripe_events" ("received_at") where "processed_at" is null',
})
export class StripeEvent {
  [EntityRepositoryType]?: StripeEventsRepository;
  [OptionalProps]?: 'id' | 'receivedAt' | 'attempts';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @Property({ type: 'string', length: 255, unique: 'stripe_events_stripe_event_id_unique' })
  stripeEventId: string;

  @Property({ type: 'string', length: 100 })
  type: string;

  @Property({ type: 'json' })
  payload: Record<string, unknown>;

  /** The event's `created`, used to order state changes. */
  @Property({ type: 'datetime', columnType: 'timestamptz' })
  stripeCreatedAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  receivedAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  processedAt?: Date | null;

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;
}

import { Entity, EntityRepositoryType, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { OutboxEventsRepository } from './outbox-events.repository';

/**
 * A domain event written in the same transaction as the change it describes, relayed to its subscribers' queues
 * afterwards (`dispatched_at`, the last time it was sent), and handled once every subscriber committed its receipt
 * (`handled_at`). The id is a UUID v7, so ordering by id is creation order.
 */
@Entity({ tableName: 'outbox_events', repository: () => OutboxEventsRepository })
@Index({
  name: 'outbox_pending_idx',
  expression: 'create index "outbox_pending_idx" on "outbox_events" ("id") where "dispatched_at" is null',
})
@Index({
  name: 'outbox_unhandled_idx',
  expression: 'create index "outbox_unhandled_idx" on "outbox_events" ("dispatched_at") where "handled_at" is null',
})
export class OutboxEvent {
  [EntityRepositoryType]?: OutboxEventsRepository;
  [OptionalProps]?: 'id' | 'attempts' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  /** A `DomainEventType`, e.g. `user.followed`. */
  @Property({ type: 'string', length: 100 })
  type: string;

  @Property({ type: 'json' })
  payload: Record<string, unknown>;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  dispatchedAt?: Date | null;

  /** Every subscriber's receipt is committed: the relay will not send it again. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  handledAt?: Date | null;

  /** How many times the relay sent it (1 unless it was re-sent). */
  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;
}

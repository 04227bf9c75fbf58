import { Entity, ManyToOne, OptionalProps, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { OutboxEvent } from './outbox-event.entity';

/**
 * One subscriber's "done" for one event, committed in the transaction of that subscriber's effect. An event is handled
 * when every subscriber of its type has a receipt; until then the relay re-sends it (docs/events.md).
 */
@Entity({ tableName: 'outbox_receipts' })
export class OutboxReceipt {
  [PrimaryKeyProp]?: ['event', 'subscriber'];
  [OptionalProps]?: 'handledAt';

  @ManyToOne(() => OutboxEvent, { primary: true, fieldName: 'event_id', deleteRule: 'cascade', updateRule: 'no action' })
  event: OutboxEvent;

  /** The subscriber's stable name (`@OnDomainEvent({ subscriber })`). */
  @PrimaryKey({ type: 'string', length: 100 })
  subscriber: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  handledAt: Date = new Date();
}

import { EntityManager } from '@mikro-orm/postgresql';
import { QueueName } from '../queue/queue-names';
import { DomainEvent, DomainEventType } from './domain-events';

export const DOMAIN_EVENT_SUBSCRIBER = Symbol('domain-event-subscriber');

export interface SubscriberOptions {
  /**
   * The subscriber's stable name, kept in its receipts (`[a-z0-9._-]`, at most 100). Renaming it makes the events it
   * has not answered yet run under the new name; answered ones stay answered.
   */
  subscriber: string;
  /** The queue its jobs run on, for that queue's concurrency, lock and retries (`QUEUE_SETTINGS`); `events` by default. */
  queue?: QueueName;
}

export interface SubscriberMetadata extends Required<SubscriberOptions> {
  types: DomainEventType[];
}

/** What a handler gets besides the event. */
export interface EventContext {
  /** The outbox event's id: the same on every delivery and re-send, so a natural idempotency key. */
  readonly eventId: string;
  /** A failure now is this job's last attempt (the relay still re-sends the event later if it has no receipt). */
  readonly lastAttempt: boolean;
  /**
   * Runs `work` in one transaction with this subscriber's receipt: the effect and "handled" commit together, or
   * neither. It commits at most once per delivery (after one that failed it may run again, e.g. to record the failure);
   * a handler that never calls it gets its receipt when it returns (nothing to do). Let its errors through: one of
   * them means another delivery committed first, and stops this one quietly.
   * Repositories called inside join the transaction. Side effects outside PostgreSQL (Redis, files) go after it.
   */
  transaction<R>(work: (em: EntityManager) => Promise<R>): Promise<R>;
}

export type EventHandler<T extends DomainEventType> = (event: DomainEvent<T>, context: EventContext) => Promise<unknown>;

/**
 * Subscribes a provider's method to outbox events: the relay queues one job per event and subscriber, and
 * `OutboxDispatcher` runs it. Handlers must be idempotent: an event may be delivered again (retries, re-sends).
 * See docs/events.md for how to add an event.
 */
export function OnDomainEvent<T extends DomainEventType>(types: T | readonly T[], options: SubscriberOptions) {
  return <M extends EventHandler<T>>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    const metadata: SubscriberMetadata = { types: [types].flat() as DomainEventType[], subscriber: options.subscriber, queue: options.queue ?? QueueName.Events };
    Reflect.defineMetadata(DOMAIN_EVENT_SUBSCRIBER, metadata, descriptor.value!);
  };
}

import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DomainEvents, DomainEventType } from './domain-events';
import { OutboxEvent } from './outbox-event.entity';

/**
 * Records domain events in the caller's transaction, so an event exists exactly when its change committed.
 * A relay moves them to the queues afterwards; a crash or a Redis outage only delays them.
 */
@Injectable()
export class OutboxService {
  record<T extends DomainEventType>(em: EntityManager, type: T, payload: DomainEvents[T]): void {
    em.create(OutboxEvent, { type, payload: payload as unknown as Record<string, unknown> });
  }
}

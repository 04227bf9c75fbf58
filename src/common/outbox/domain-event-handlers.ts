import { Injectable } from '@nestjs/common';
import { DomainEvents, DomainEventType } from './domain-events';

export type DomainEventHandler<T extends DomainEventType> = (payload: DomainEvents[T], eventId: string) => Promise<unknown>;

/**
 * Features that consume a domain event register a handler here at start-up (the events worker calls it): the
 * feature owns its reaction, the events processor needs no import of it. One handler per event type.
 */
@Injectable()
export class DomainEventHandlers {
  private readonly handlers = new Map<DomainEventType, DomainEventHandler<DomainEventType>>();

  on<T extends DomainEventType>(type: T, handler: DomainEventHandler<T>): void {
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} is already registered`);
    this.handlers.set(type, handler as unknown as DomainEventHandler<DomainEventType>);
  }

  handlerFor(type: DomainEventType): DomainEventHandler<DomainEventType> | undefined {
    return this.handlers.get(type);
  }
}

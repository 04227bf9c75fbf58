import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { SqlFragment } from '../database/sql-fragment';
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

  /**
   * `record` as SQL, for a write that is a single statement (so it commits on its own, with no transaction around it):
   * `insert … select … from <source>` records the event if `source`, a CTE of the caller's statement naming the row
   * it just wrote, holds a row (at most one), and nothing otherwise. The row is the one `record` would write.
   */
  recordIfSql<T extends DomainEventType>(type: T, payload: DomainEvents[T], source: string): SqlFragment {
    return {
      sql: `insert into outbox_events (id, type, payload, created_at, attempts) select ?, ?, ?::jsonb, ?, 0 from ${source}`,
      params: [v7(), type, JSON.stringify(payload), new Date()],
    };
  }
}

import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { DomainEventType } from './domain-events';
import { OutboxEvent } from './outbox-event.entity';

/** The smallest UUID v7 of a millisecond: its 48-bit timestamp, then the version and variant bits, then zeros. */
export function firstUuidV7At(at: Date): string {
  const hex = at.getTime().toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/** An outbox row as the relay sends it; `handled` lists the subscribers whose receipt is committed. */
export interface OutboxRow {
  id: string;
  type: DomainEventType;
  payload: Record<string, unknown>;
  created_at: Date;
  handled: string[];
}

/** The outbox's SQL: the relay's batches (row-locked, `SKIP LOCKED`, so any number of workers may relay) and receipts. */
export class OutboxEventsRepository extends EntityRepository<OutboxEvent> {
  /** Events never sent yet, oldest first, locked for the caller's transaction (over `outbox_pending_idx`). */
  lockPending(em: EntityManager, limit: number): Promise<OutboxRow[]> {
    return em.execute<OutboxRow[]>(
      `select id, type, payload, created_at, '{}'::text[] as handled from outbox_events
        where dispatched_at is null order by id limit ? for update skip locked`,
      [limit],
    );
  }

  /**
   * Events sent at least `afterSeconds` ago and still not handled, least recently sent first (over
   * `outbox_unhandled_idx`), with the subscribers that did answer; locked for the caller's transaction.
   */
  lockUnhandled(em: EntityManager, afterSeconds: number, limit: number): Promise<OutboxRow[]> {
    return em.execute<OutboxRow[]>(
      `select e.id, e.type, e.payload, e.created_at, array(select r.subscriber from outbox_receipts r where r.event_id = e.id)::text[] as handled
         from outbox_events e
        where e.handled_at is null and e.dispatched_at < now() - make_interval(secs => ?)
        order by e.dispatched_at limit ? for update of e skip locked`,
      [afterSeconds, limit],
    );
  }

  async markSent(em: EntityManager, ids: string[]): Promise<void> {
    if (ids.length) await em.execute('update outbox_events set dispatched_at = now(), attempts = attempts + 1 where id in (?)', [ids]);
  }

  /** Events with nothing (left) to run: every subscriber answered, or their type has no subscriber any more. */
  async markHandled(em: EntityManager, ids: string[]): Promise<void> {
    if (ids.length) await em.execute('update outbox_events set handled_at = now(), dispatched_at = coalesce(dispatched_at, now()) where id in (?)', [ids]);
  }

  async hasReceipt(eventId: string, subscriber: string): Promise<boolean> {
    const rows = await this.getEntityManager().execute('select 1 from outbox_receipts where event_id = ? and subscriber = ?', [eventId, subscriber]);
    return rows.length > 0;
  }

  /**
   * Writes a subscriber's receipt in the caller's transaction; false when it exists. Written first in that transaction,
   * it also makes a concurrent delivery of the same event wait for this one, then find the receipt and stop.
   */
  async insertReceipt(em: EntityManager, eventId: string, subscriber: string): Promise<boolean> {
    const rows = await em.execute(
      'insert into outbox_receipts (event_id, subscriber, handled_at) values (?, ?, now()) on conflict do nothing returning event_id',
      [eventId, subscriber],
    );
    return rows.length > 0;
  }

  /**
   * Marks the event handled when each of `subscribers` has a receipt (this transaction's included). The event's row
   * is locked first (`for no key update`), in a statement of its own: two subscribers committing at the same moment take turns, and the
   * second one's count (a new statement, so a new snapshot) sees the first one's committed receipt. Without the lock
   * each could miss the other's and leave the event unhandled until the relay's re-send pass (OUTBOX_RESEND_AFTER).
   */
  async markHandledIfComplete(em: EntityManager, eventId: string, subscribers: string[]): Promise<void> {
    // `for no key update`, not `for update`: each subscriber's receipt insert holds `for key share` on this row (the
    // foreign key), which `for update` waits for: two subscribers deadlocked there (seen in billing-lock-order).
    if (subscribers.length > 1) await em.execute('select 1 from outbox_events where id = ? for no key update', [eventId]);
    await em.execute(
      `update outbox_events set handled_at = now() where id = ? and handled_at is null
         and (select count(*) from outbox_receipts r where r.event_id = ? and r.subscriber in (?)) = ?`,
      [eventId, eventId, subscribers, subscribers.length],
    );
  }

  /**
   * Deletes up to `limit` handled events recorded before `cutoff`, with their receipts (`on delete cascade`). Ids are
   * UUID v7, so "recorded before" is an id range over the primary key: no index on `handled_at` needed.
   */
  async deleteHandledBefore(cutoff: Date, limit: number): Promise<number> {
    const rows = await this.getEntityManager().execute(
      `delete from outbox_events where id in (
         select id from outbox_events where id < ? and handled_at is not null order by id limit ? for update skip locked)
       returning id`,
      [firstUuidV7At(cutoff), limit],
    );
    return rows.length;
  }

  /** Seconds since the oldest event that was sent and still lacks a receipt was recorded (0 when none). */
  async unhandledSeconds(): Promise<number> {
    const [row] = await this.getEntityManager().execute<{ age: number | null }[]>(
      'select extract(epoch from now() - min(created_at)) as age from outbox_events where handled_at is null and dispatched_at is not null',
    );
    return Number(row?.age ?? 0);
  }

  /** Seconds since the oldest event still waiting to be sent (0 when none): the relay's lag. */
  async lagSeconds(): Promise<number> {
    const [row] = await this.getEntityManager().execute<{ lag: number | null }[]>(
      'select extract(epoch from now() - min(created_at)) as lag from outbox_events where dispatched_at is null',
    );
    return Number(row?.lag ?? 0);
  }
}

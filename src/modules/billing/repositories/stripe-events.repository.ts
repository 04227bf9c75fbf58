import { LockMode } from '@mikro-orm/core';
import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import { v7 } from 'uuid';
import { SqlFragment } from '@/common/database/sql-fragment';
import { StripeEvent } from '../entities/stripe-event.entity';

const LAST_ERROR_MAX = 2000;

export class StripeEventsRepository extends EntityRepository<StripeEvent> {
  findByStripeEventId(stripeEventId: string): Promise<StripeEvent | null> {
    return this.findOne({ stripeEventId });
  }

  /**
   * Stores a verified event once (`ON CONFLICT DO NOTHING`: false for a redelivery) and, for a new one, the outbox
   * event that follows it, as one statement: both commit together, or neither, without a transaction around them (one
   * round trip). `thenRecord(source)` is the outbox's insert from `source`, the CTE naming the inserted row.
   */
  async insertIfNewRecording(em: EntityManager, event: Stripe.Event, thenRecord: (source: string) => SqlFragment): Promise<boolean> {
    const outbox = thenRecord('inserted');
    const rows = await em.execute(
      `with inserted as (
         insert into stripe_events (id, stripe_event_id, type, payload, stripe_created_at, received_at, attempts)
         values (?, ?, ?, ?::jsonb, to_timestamp(?), now(), 0)
         on conflict (stripe_event_id) do nothing returning id)
       ${outbox.sql} returning id`,
      [v7(), event.id, event.type, JSON.stringify(event), event.created, ...outbox.params],
    );
    return rows.length > 0;
  }

  /** The stored event, locked for this transaction, unless it was applied already (or is unknown). */
  lockUnprocessed(em: EntityManager, stripeEventId: string): Promise<StripeEvent | null> {
    return em.findOne(StripeEvent, { stripeEventId, processedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /**
   * `last_error` stays: on an applied event it says what failed before the attempt that succeeded (a deadlock, a
   * Stripe outage), the evidence a retry would otherwise erase.
   */
  async markProcessed(em: EntityManager, id: string): Promise<void> {
    await em.execute('update stripe_events set processed_at = now(), attempts = attempts + 1 where id = ?', [id]);
  }

  async recordFailure(stripeEventId: string, message: string): Promise<void> {
    await this.getEntityManager().execute(
      'update stripe_events set attempts = attempts + 1, last_error = ? where stripe_event_id = ? and processed_at is null',
      [message.slice(0, LAST_ERROR_MAX), stripeEventId],
    );
  }
}

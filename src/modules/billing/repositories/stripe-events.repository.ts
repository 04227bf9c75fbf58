import { LockMode } from '@mikro-orm/core';
import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import { v7 } from 'uuid';
import { StripeEvent } from '../entities/stripe-event.entity';

const LAST_ERROR_MAX = 2000;

export class StripeEventsRepository extends EntityRepository<StripeEvent> {
  findByStripeEventId(stripeEventId: string): Promise<StripeEvent | null> {
    return this.findOne({ stripeEventId });
  }

  /** Stores a verified event once: a redelivery is a no-op (`ON CONFLICT DO NOTHING`). */
  async insertIfNew(event: Stripe.Event): Promise<void> {
    await this.getEntityManager().execute(
      `insert into stripe_events (id, stripe_event_id, type, payload, stripe_created_at, received_at, attempts)
       values (?, ?, ?, ?::jsonb, to_timestamp(?), now(), 0)
       on conflict (stripe_event_id) do nothing`,
      [v7(), event.id, event.type, JSON.stringify(event), event.created],
    );
  }

  /** The stored event, locked for this transaction, unless it was applied already (or is unknown). */
  lockUnprocessed(em: EntityManager, stripeEventId: string): Promise<StripeEvent | null> {
    return em.findOne(StripeEvent, { stripeEventId, processedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  async markProcessed(em: EntityManager, id: string): Promise<void> {
    await em.execute('update stripe_events set processed_at = now(), attempts = attempts + 1, last_error = null where id = ?', [id]);
  }

  async recordFailure(stripeEventId: string, message: string): Promise<void> {
    await this.getEntityManager().execute(
      'update stripe_events set attempts = attempts + 1, last_error = ? where stripe_event_id = ? and processed_at is null',
      [message.slice(0, LAST_ERROR_MAX), stripeEventId],
    );
  }

  /**
   * Events stored but never attempted by a worker, oldest first (over `stripe_events_unprocessed_idx`): their job was
   * never queued (Redis was down when they arrived) or still waits. Attempted ones have a job that retries or stays failed.
   */
  async neverAttempted(olderThanSeconds: number, limit: number): Promise<string[]> {
    const rows = await this.getEntityManager().execute<{ stripe_event_id: string }[]>(
      `select stripe_event_id from stripe_events
        where processed_at is null and attempts = 0 and received_at < now() - make_interval(secs => ?)
        order by received_at limit ?`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.stripe_event_id);
  }
}

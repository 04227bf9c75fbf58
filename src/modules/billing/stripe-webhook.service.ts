import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { OutboxService } from '@/common/outbox/outbox.service';
import { StripeEventsRepository } from './repositories/stripe-events.repository';
import { StripeClient } from './stripe/stripe.client';

/**
 * Receives Stripe's webhooks: verify, then store the event and its outbox event in one statement (PostgreSQL only:
 * Stripe gets its `200` with Redis down), and answer. The outbox relay queues it for `StripeEventApplier`.
 */
@Injectable()
export class StripeWebhookService {
  constructor(
    private readonly em: EntityManager,
    private readonly stripe: StripeClient,
    private readonly events: StripeEventsRepository,
    private readonly outbox: OutboxService,
  ) {}

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<{ received: true }> {
    const event = this.stripe.verifyWebhook(rawBody, signature);
    // One statement, committed on its own: the event and its outbox event, or (a redelivery, which finds the event
    // stored with its outbox event) nothing. No transaction, no entity, one round trip.
    await this.events.insertIfNewRecording(this.em, event, (source) => this.outbox.recordIfSql('stripe.event_received', { stripeEventId: event.id }, source));
    return { received: true };
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { OutboxService } from '@/common/outbox/outbox.service';
import { StripeEventsRepository } from './repositories/stripe-events.repository';
import { StripeClient, VerifiedEvent } from './stripe/stripe.client';

/**
 * An event of a connected account: signed with the Connect endpoint's secret, or naming the account (`account`, which
 * Stripe sets on every Connect event; locally `stripe listen` signs both endpoints with one secret). Connected accounts
 * are their owners' (a creator can make their own account emit events), so of theirs only the account's own news is
 * believed: `account.*` (`account.updated`, `account.application.deauthorized`, ...). Payments are destination charges
 * on the platform: their events never come from a connected account.
 */
export function fromConnectedAccount({ event, endpoint }: VerifiedEvent): boolean {
  return endpoint === 'connect' || !!event.account;
}

export function believedFromConnectedAccount(event: Stripe.Event): boolean {
  return event.type.startsWith('account.') && !!event.account;
}

/**
 * Receives Stripe's webhooks: verify, then store the event and its outbox event in one statement (PostgreSQL only:
 * Stripe gets its `200` with Redis down), and answer. The outbox relay queues it for `StripeEventApplier`.
 */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger(StripeWebhookService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly stripe: StripeClient,
    private readonly events: StripeEventsRepository,
    private readonly outbox: OutboxService,
  ) {}

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<{ received: true }> {
    const verified = this.stripe.verifyWebhook(rawBody, signature);
    const { event } = verified;
    if (fromConnectedAccount(verified) && !believedFromConnectedAccount(event)) {
      // Acknowledged, not stored: a refusal would only make Stripe retry it for days and disable the endpoint.
      this.logger.warn(`Stripe event ${event.id} (${event.type}) of a connected account ignored: only account.* events are applied from there`);
      return { received: true };
    }
    await this.store(event);
    return { received: true };
  }

  /**
   * One statement, committed on its own: the event and its outbox event, or (a redelivery, which finds the event
   * stored with its outbox event) nothing. No transaction, no entity, one round trip. True when the event was new.
   * Reconciliation's repair stores the events a dropped delivery lost through here too.
   */
  store(event: Stripe.Event, em: EntityManager = this.em): Promise<boolean> {
    return this.events.insertIfNewRecording(em, event, (source) => this.outbox.recordIfSql('stripe.event_received', { stripeEventId: event.id }, source));
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { QueueName } from '@/common/queue/queue-names';
import { SubscriptionsRepository } from '../repositories/subscriptions.repository';
import { ROUTABLE, SubscriptionSyncService } from '../subscription-sync.service';
import { PayoutAccountsRepository } from './payout-accounts.repository';

/** Subscriptions routed per job: each is two Stripe calls at most (a read, an update). */
export const ROUTING_BATCH = 50;

/**
 * Keeps a creator's running subscriptions paying out where a new checkout would (docs/payouts.md#when-a-creator-disconnects):
 * after a deauthorization (or an account that stops taking charges) their invoices are collected by the platform,
 * which holds the creator's share; once a new account takes charges, they are routed to it again.
 *
 * Runs from `payouts.routing_changed` on the `billing` queue (retried with backoff; a last failure stays in the queue's
 * failed jobs and the outbox re-sends the event). Each subscription is one transaction (SubscriptionSyncService.route):
 * its `payout_destination` is written with Stripe's answer, so the batch query skips what is done and a killed or
 * retried job resumes where it stopped. Where the money goes is read per subscription, under its lock, so a job that
 * an older event started never undoes a newer one (a deauthorization replayed after the creator reconnected finds
 * the new account and changes nothing).
 */
@Injectable()
export class SubscriptionRoutingService {
  private readonly logger = new Logger(SubscriptionRoutingService.name);

  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly accounts: PayoutAccountsRepository,
    private readonly sync: SubscriptionSyncService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {}

  @OnDomainEvent('payouts.routing_changed', { subscriber: 'billing.route-subscriptions', queue: QueueName.Billing })
  async onRoutingChanged(event: DomainEvent<'payouts.routing_changed'>, context: EventContext): Promise<void> {
    const { creatorId, afterSubscriptionId } = event.payload;
    const em = this.subscriptions.getEntityManager().fork();
    const destination = await this.accounts.destinationOf(em, creatorId);
    const batch = await this.subscriptions.toRoute(creatorId, destination, [...ROUTABLE], afterSubscriptionId, ROUTING_BATCH);
    let routed = 0;
    for (const row of batch) {
      const outcome = await this.sync.route(row.stripeSubscriptionId, (tx) => this.accounts.destinationOf(tx, creatorId), this.config.connect.feePercent);
      if (outcome === 'routed') routed++;
    }
    if (batch.length) this.logger.log(`creator ${creatorId}: ${routed} of ${batch.length} subscriptions routed to ${destination}`);
    await context.transaction(async (tx) => {
      if (batch.length === ROUTING_BATCH) {
        this.outbox.record(tx, 'payouts.routing_changed', { creatorId, afterSubscriptionId: batch[batch.length - 1].id });
      }
    });
  }
}

import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DomainEventHandlers } from '@/common/outbox/domain-event-handlers';
import { DomainEvents } from '@/common/outbox/domain-events';
import { SubscriptionsRepository } from './repositories/subscriptions.repository';
import { StripeClient } from './stripe/stripe.client';
import { RUNNING, SubscriptionSyncService } from './subscription-sync.service';

/**
 * A block hides each side's content from the other, so neither keeps paying for the other's: a running subscription
 * between the two (either way) is set to cancel at the period end, through Stripe (access lasts to the period end, as
 * with a cancellation by the subscriber; nothing is refunded). Runs from the outbox event: a Stripe outage only delays it.
 */
@Injectable()
export class BlockedSubscriptionsService implements OnModuleInit {
  private readonly logger = new Logger(BlockedSubscriptionsService.name);

  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly sync: SubscriptionSyncService,
    private readonly stripe: StripeClient,
    private readonly handlers: DomainEventHandlers,
  ) {}

  onModuleInit(): void {
    this.handlers.on('user.blocked', (payload) => this.onBlocked(payload));
  }

  async onBlocked({ blockerId, blockedId }: DomainEvents['user.blocked']): Promise<void> {
    for (const [subscriberId, creatorId] of [
      [blockedId, blockerId],
      [blockerId, blockedId],
    ]) {
      const row = await this.subscriptions.findPair(subscriberId, creatorId);
      if (!row?.stripeSubscriptionId || !RUNNING.has(row.status) || row.cancelAtPeriodEnd) continue;
      if (!this.stripe.configured) {
        this.logger.warn(`subscription ${row.id} not cancelled after a block: Stripe is not configured`);
        continue;
      }
      await this.sync.cancelAtPeriodEnd(row.stripeSubscriptionId);
    }
  }
}

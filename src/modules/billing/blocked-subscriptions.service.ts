import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainEvent } from '@/common/outbox/domain-events';
import { OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { QueueName } from '@/common/queue/queue-names';
import { BLOCK_CHECK, BlockCheck } from './billing.ports';
import { SubscriptionsRepository } from './repositories/subscriptions.repository';
import { StripeClient } from './stripe/stripe.client';
import { RUNNING, SubscriptionSyncService } from './subscription-sync.service';

/**
 * A block hides each side's content from the other, so neither keeps paying for the other's: a running subscription
 * between the two (either way) is set to cancel at the period end, through Stripe (access lasts to the period end, as
 * with a cancellation by the subscriber; nothing is refunded). Runs from the outbox event: a Stripe outage only delays it.
 *
 * The event says a block happened, not that it still holds: delivered late (a Redis restart, a re-send, a retry
 * after an unblock), it must not end the subscriptions of two users who are on terms again. So the handler re-reads
 * the block when it runs and does nothing once it is gone (docs/events.md, "Undo pairs").
 */
@Injectable()
export class BlockedSubscriptionsService {
  private readonly logger = new Logger(BlockedSubscriptionsService.name);

  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly sync: SubscriptionSyncService,
    private readonly stripe: StripeClient,
    @Inject(BLOCK_CHECK) private readonly blocks: BlockCheck,
  ) {}

  /** Idempotent: a subscription already set to cancel is skipped, and Stripe's answer to a repeat is the same. */
  @OnDomainEvent('user.blocked', { subscriber: 'billing.block', queue: QueueName.Billing })
  async onBlocked(event: DomainEvent<'user.blocked'>): Promise<void> {
    const { blockerId, blockedId } = event.payload;
    if (!(await this.blocks.isBlockedEitherWay(blockerId, blockedId))) return;
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

import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { QueueName } from '@/common/queue/queue-names';
import { PayoutAccountsRepository } from '../connect/payout-accounts.repository';
import { ReferralSharesRepository } from './referral-shares.repository';
import { ReferralTransfers } from './referral-transfers';

/** Pending shares paid per job: one Stripe call each. */
export const REFERRAL_PAYOUT_BATCH = 50;

/**
 * Pays a referrer's pending referral shares once their payout account can receive transfers (docs/billing.md#referral-rewards):
 * `referral.payouts_ready`, recorded by the webhook worker when an account's `payouts_enabled` turns true. Each share
 * is one transaction under its share lock (re-read there, so a share paid or fully reversed meanwhile is skipped); a
 * full batch records the next event after its last share id.
 */
@Injectable()
export class ReferralPayoutsService {
  private readonly logger = new Logger(ReferralPayoutsService.name);

  constructor(
    private readonly shares: ReferralSharesRepository,
    private readonly accounts: PayoutAccountsRepository,
    private readonly transfers: ReferralTransfers,
    private readonly outbox: OutboxService,
    private readonly em: EntityManager,
  ) {}

  @OnDomainEvent('referral.payouts_ready', { subscriber: 'billing.referral-payouts', queue: QueueName.Billing })
  async onPayoutsReady(event: DomainEvent<'referral.payouts_ready'>, context: EventContext): Promise<void> {
    const { referrerId, afterShareId } = event.payload;
    const em = this.em.fork();
    const batch = (await this.accounts.transferDestinationOf(em, referrerId)) ? await this.shares.pendingOf(em, referrerId, afterShareId, REFERRAL_PAYOUT_BATCH) : [];
    let paid = 0;
    for (const row of batch) {
      await em.fork().transactional(async (tx) => {
        await this.shares.lock(tx, row.stripeChargeId ?? row.paymentObjectId);
        const share = await this.shares.byPayment(tx, row.paymentObjectId);
        const destination = await this.accounts.transferDestinationOf(tx, referrerId);
        if (!share || !destination || share.stripeTransferId || share.amountCents <= share.reversedCents) return;
        const transfer = await this.transfers.pay(share, destination);
        await this.shares.setTransfer(tx, share.id, transfer.id, transfer.amount);
        await this.transfers.bookTransfer(tx, share, transfer);
        paid++;
      });
    }
    if (batch.length) this.logger.log(`referrer ${referrerId}: ${paid} of ${batch.length} pending referral shares paid`);
    await context.transaction(async (tx) => {
      if (batch.length === REFERRAL_PAYOUT_BATCH) this.outbox.record(tx, 'referral.payouts_ready', { referrerId, afterShareId: batch[batch.length - 1].id });
    });
  }
}

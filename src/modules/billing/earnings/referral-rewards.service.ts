import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { QueueName } from '@/common/queue/queue-names';
import { ReferralsService } from '@/modules/referrals/referrals.service';
import { PayoutAccountsRepository } from '../connect/payout-accounts.repository';
import { EarningsLedger } from './earnings-ledger';
import { mulDivRound } from './money';
import { ReferralSharesRepository, ReferralShareRow } from './referral-shares.repository';
import { ReferralTransfers } from './referral-transfers';

/** How long a referral earns shares: 12 months from the referred creator's first payment. */
export const REFERRAL_REWARD_MONTHS = 12;

/** `at` plus `months` calendar months (UTC). */
export function addMonths(at: Date, months: number): Date {
  const d = new Date(at);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

/**
 * Referral rewards (docs/billing.md#referral-rewards), on the `billing` queue. `referral.share_due` books the
 * referrer's share of one payment (`REFERRAL_SHARE_PERCENT` of the payment's fee, when the payment falls within 12
 * months of the referred creator's first) and transfers it to the referrer's connected account, or keeps it pending
 * when they cannot receive transfers yet; `referral.share_reversal_due` reverses it in proportion to what refunds and
 * lost disputes took back. Each runs in its outbox receipt's transaction, under the payment's share lock, taking rows
 * in the billing lock order: the referral row (referrals), the `referral_shares` row, then the ledger.
 */
@Injectable()
export class ReferralRewardsService {
  private readonly logger = new Logger(ReferralRewardsService.name);

  constructor(
    private readonly shares: ReferralSharesRepository,
    private readonly referrals: ReferralsService,
    private readonly ledger: EarningsLedger,
    private readonly transfers: ReferralTransfers,
    private readonly accounts: PayoutAccountsRepository,
    private readonly config: AppConfig,
  ) {}

  @OnDomainEvent('referral.share_due', { subscriber: 'billing.referral-share', queue: QueueName.Billing })
  async onShareDue(event: DomainEvent<'referral.share_due'>, context: EventContext): Promise<void> {
    const { paymentKind, paymentObjectId } = event.payload;
    await context.transaction(async (em) => {
      const payment = await this.ledger.paymentByObject(em, paymentKind, paymentObjectId);
      if (!payment) return;
      await this.shares.lock(em, payment.stripeChargeId ?? paymentObjectId);
      if (await this.shares.byPayment(em, paymentObjectId)) return; // booked already: a replay pays nothing twice
      const referral = await this.referrals.openRewards(em, payment.creatorId, payment.occurredAt);
      if (!referral || referral.referrerId === payment.creatorId) return;
      if (payment.occurredAt >= addMonths(referral.rewardsFrom, REFERRAL_REWARD_MONTHS)) return;
      const amountCents = mulDivRound(payment.feeCents, this.config.connect.referralShareBasisPoints, 10_000);
      if (amountCents <= 0) return;
      const share: Omit<ReferralShareRow, 'id'> = {
        paymentKind,
        paymentObjectId,
        referrerId: referral.referrerId,
        referredId: payment.creatorId,
        stripeChargeId: payment.stripeChargeId,
        stripePaymentIntentId: payment.stripePaymentIntentId,
        currency: payment.currency,
        paymentGrossCents: payment.grossCents,
        amountCents,
        reversedCents: 0,
        stripeTransferId: null,
        transferredCents: 0,
        occurredAt: payment.occurredAt,
      };
      // A refund or lost dispute that overtook this job is taken back at once.
      share.reversedCents = await this.reversalTarget(em, share);
      await this.referrals.addEarned(em, share.referredId, amountCents - share.reversedCents);
      const destination = await this.accounts.transferDestinationOf(em, share.referrerId);
      const transfer = destination && amountCents > share.reversedCents ? await this.transfers.pay(share, destination) : null;
      if (transfer) Object.assign(share, { stripeTransferId: transfer.id, transferredCents: transfer.amount });
      await this.shares.insert(em, share);
      await this.book(em, share, { kind: 'referral_share', cents: amountCents, objectId: paymentObjectId, at: payment.occurredAt });
      if (share.reversedCents > 0) await this.bookReversal(em, share, share.reversedCents, share.reversedCents);
      if (transfer) await this.transfers.bookTransfer(em, share, transfer);
      this.logger.log(`referral share of ${paymentObjectId}: ${amountCents} to ${share.referrerId}${transfer ? ` (${transfer.id})` : ' (pending)'}`);
    });
  }

  @OnDomainEvent('referral.share_reversal_due', { subscriber: 'billing.referral-share-reversal', queue: QueueName.Billing })
  async onShareReversalDue(event: DomainEvent<'referral.share_reversal_due'>, context: EventContext): Promise<void> {
    const { chargeId, paymentIntentId } = event.payload;
    await context.transaction(async (em) => {
      const found = await this.shares.byCharge(em, chargeId, paymentIntentId);
      if (!found) return; // no share (yet): its booking takes back what was refunded by then
      await this.shares.lock(em, found.stripeChargeId ?? found.paymentObjectId);
      const share = (await this.shares.byPayment(em, found.paymentObjectId))!;
      const target = await this.reversalTarget(em, share);
      const delta = target - share.reversedCents;
      if (delta <= 0) return;
      await this.referrals.addEarned(em, share.referredId, -delta);
      const reversal = share.stripeTransferId ? await this.transfers.reverse(share, share.stripeTransferId, delta, target) : null;
      await this.shares.setReversed(em, share.id, target);
      await this.bookReversal(em, share, delta, target);
      if (reversal) await this.transfers.bookReversal(em, share, reversal);
    });
  }

  /**
   * What of the share refunds and lost disputes take back now: the share times the part of the payment taken back,
   * rounded half up, at most the share. A dispute counts once Stripe says it is `lost` (an open one may still be won).
   */
  private async reversalTarget(em: EntityManager, share: Omit<ReferralShareRow, 'id'>): Promise<number> {
    if (!share.stripeChargeId) return 0;
    const taken = await this.ledger.takenBack(em, share.stripeChargeId);
    let cents = taken.refundedCents;
    for (const dispute of taken.openDisputes) {
      if ((await this.transfers.disputeStatus(dispute.id)) === 'lost') cents += dispute.cents;
    }
    return Math.min(share.amountCents, mulDivRound(share.amountCents, Math.min(cents, share.paymentGrossCents), share.paymentGrossCents));
  }

  private async book(em: EntityManager, share: Omit<ReferralShareRow, 'id'>, e: { kind: 'referral_share' | 'referral_share_reversal'; cents: number; objectId: string; at: Date }): Promise<void> {
    await this.ledger.record(em, {
      creatorId: share.referrerId,
      kind: e.kind,
      grossCents: 0,
      feeCents: 0,
      amountCents: e.cents,
      currency: share.currency,
      counterpartyId: share.referredId,
      stripeObjectId: e.objectId,
      stripeEventId: null,
      stripeChargeId: share.stripeChargeId,
      stripePaymentIntentId: share.stripePaymentIntentId,
      occurredAt: e.at,
    });
  }

  /** `delta` more reversed, reaching `target` in all: one entry per total reached, so a repeat records nothing. */
  private bookReversal(em: EntityManager, share: Omit<ReferralShareRow, 'id'>, delta: number, target: number): Promise<void> {
    return this.book(em, share, { kind: 'referral_share_reversal', cents: -delta, objectId: `${share.paymentObjectId}:reversed:${target}`, at: new Date() });
  }
}

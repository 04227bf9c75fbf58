import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { OutboxService } from '@/common/outbox/outbox.service';
import { ReferralsService } from '@/modules/referrals/referrals.service';

/**
 * The webhook worker's side of referral rewards (docs/billing.md#referral-rewards): in the transaction that records a
 * referred creator's payment, or a refund or lost dispute of one, the outbox event that books (or reverses) the
 * referrer's share. Nothing for a creator nobody referred.
 */
@Injectable()
export class ReferralShareEvents {
  constructor(
    private readonly referrals: ReferralsService,
    private readonly outbox: OutboxService,
  ) {}

  /** A payment entry of `creatorId` was recorded (new): its referrer's share is due. */
  async paymentRecorded(em: EntityManager, creatorId: string, paymentKind: string, paymentObjectId: string): Promise<void> {
    if (!(await this.referrals.referrerOf(em, creatorId))) return;
    this.outbox.record(em, 'referral.share_due', { paymentKind, paymentObjectId });
  }

  /** A refund or lost dispute of a payment of `creatorId` was recorded: its share is reversed in proportion. */
  async paymentTakenBack(em: EntityManager, creatorId: string, chargeId: string | null, paymentIntentId: string | null): Promise<void> {
    if (!chargeId && !paymentIntentId) return;
    if (!(await this.referrals.referrerOf(em, creatorId))) return;
    this.outbox.record(em, 'referral.share_reversal_due', { chargeId, paymentIntentId });
  }
}

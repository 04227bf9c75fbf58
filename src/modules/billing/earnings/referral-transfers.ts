import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { StripeClient } from '../stripe/stripe.client';
import { EarningsLedger } from './earnings-ledger';
import { ReferralShareRow } from './referral-shares.repository';

const fromUnix = (seconds: number) => new Date(seconds * 1000);

/**
 * The Stripe side of referral rewards (docs/billing.md#referral-rewards): a share's transfer to the referrer's
 * connected account and its reversals, each under an idempotency key of its own (a retried job gets Stripe's first
 * answer, never a second transfer), and their `transfer` and `transfer_reversal` ledger entries, booked at once with
 * what Stripe answered: the same entries `transfer.created` and `transfer.reversed` record, so those events record
 * nothing more, and reconciliation meets Stripe's balance transactions whether or not they arrive.
 */
@Injectable()
export class ReferralTransfers {
  constructor(
    private readonly stripe: StripeClient,
    private readonly ledger: EarningsLedger,
  ) {}

  /** Transfers what is left of the share (less what was reversed before it was paid) to `destination`. */
  pay(share: Omit<ReferralShareRow, 'id'>, destination: string): Promise<Stripe.Transfer> {
    const params: Stripe.TransferCreateParams = {
      amount: share.amountCents - share.reversedCents,
      currency: share.currency,
      destination,
      transfer_group: `referral:${share.paymentObjectId}`,
      description: 'Referral share',
      metadata: { referral_of: share.paymentObjectId, referred_id: share.referredId, referrer_id: share.referrerId, charge: share.stripeChargeId ?? '' },
    };
    return this.stripe.call('transfer a referral share', (stripe) => stripe.transfers.create(params, { idempotencyKey: `x18-referral:${share.paymentObjectId}` }));
  }

  /** Reverses `cents` of the share's transfer, bringing what is reversed in all to `target` (the key's total). */
  reverse(share: ReferralShareRow, transferId: string, cents: number, target: number): Promise<Stripe.TransferReversal> {
    const params: Stripe.TransferCreateReversalParams = { amount: cents, metadata: { referral_of: share.paymentObjectId, reversed_total: String(target) } };
    return this.stripe.call('reverse a referral share', (stripe) =>
      stripe.transfers.createReversal(transferId, params, { idempotencyKey: `x18-referral-reversal:${share.paymentObjectId}:${target}` }),
    );
  }

  /** A dispute's status at Stripe (`lost`, `won`, `needs_response`…); null when Stripe does not know it. */
  async disputeStatus(disputeId: string): Promise<string | null> {
    const dispute = await this.stripe.find('read a dispute', (stripe) => stripe.disputes.retrieve(disputeId));
    return dispute?.status ?? null;
  }

  async bookTransfer(em: EntityManager, share: Omit<ReferralShareRow, 'id'>, transfer: Stripe.Transfer): Promise<void> {
    await this.ledger.record(em, {
      creatorId: share.referrerId,
      kind: 'transfer',
      grossCents: 0,
      feeCents: 0,
      amountCents: transfer.amount,
      currency: transfer.currency,
      counterpartyId: null,
      stripeObjectId: transfer.id,
      stripeEventId: null,
      stripeChargeId: null,
      occurredAt: fromUnix(transfer.created),
    });
  }

  async bookReversal(em: EntityManager, share: Omit<ReferralShareRow, 'id'>, reversal: Stripe.TransferReversal): Promise<void> {
    await this.ledger.record(em, {
      creatorId: share.referrerId,
      kind: 'transfer_reversal',
      grossCents: 0,
      feeCents: 0,
      amountCents: -reversal.amount,
      currency: reversal.currency,
      counterpartyId: null,
      stripeObjectId: reversal.id,
      stripeEventId: null,
      stripeChargeId: null,
      occurredAt: fromUnix(reversal.created),
    });
  }
}

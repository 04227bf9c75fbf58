import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';

/** A `referral_shares` row as the referral services use it. */
export interface ReferralShareRow {
  id: string;
  paymentKind: string;
  paymentObjectId: string;
  referrerId: string;
  referredId: string;
  stripeChargeId: string | null;
  stripePaymentIntentId: string | null;
  currency: string;
  paymentGrossCents: number;
  amountCents: number;
  reversedCents: number;
  stripeTransferId: string | null;
  transferredCents: number;
  occurredAt: Date;
}

type Row = {
  id: string;
  payment_kind: string;
  payment_object_id: string;
  referrer_id: string;
  referred_id: string;
  stripe_charge_id: string | null;
  stripe_payment_intent_id: string | null;
  currency: string;
  payment_gross_cents: number;
  amount_cents: number;
  reversed_cents: number;
  stripe_transfer_id: string | null;
  transferred_cents: number;
  occurred_at: Date;
};

const COLUMNS = `id, payment_kind, payment_object_id, referrer_id, referred_id, stripe_charge_id, stripe_payment_intent_id, currency,
  payment_gross_cents, amount_cents, reversed_cents, stripe_transfer_id, transferred_cents, occurred_at`;

const toShare = (r: Row): ReferralShareRow => ({
  id: r.id,
  paymentKind: r.payment_kind,
  paymentObjectId: r.payment_object_id,
  referrerId: r.referrer_id,
  referredId: r.referred_id,
  stripeChargeId: r.stripe_charge_id,
  stripePaymentIntentId: r.stripe_payment_intent_id,
  currency: r.currency,
  paymentGrossCents: r.payment_gross_cents,
  amountCents: r.amount_cents,
  reversedCents: r.reversed_cents,
  stripeTransferId: r.stripe_transfer_id,
  transferredCents: r.transferred_cents,
  occurredAt: new Date(r.occurred_at),
});

/**
 * Billing's `referral_shares` (docs/billing.md#referral-rewards), in the caller's transaction. Every write to one
 * payment's share happens under `lock` (keyed by the payment's charge), so its booking, its reversals and its
 * payout never interleave.
 */
@Injectable()
export class ReferralSharesRepository {
  /** Serialises, until the transaction ends, everything done to the referral share of the payment of `key` (its charge, else its object). */
  async lock(em: EntityManager, key: string): Promise<void> {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`referral-share:${key}`]);
  }

  async byPayment(em: EntityManager, paymentObjectId: string): Promise<ReferralShareRow | null> {
    const [row] = await em.execute<Row[]>(`select ${COLUMNS} from referral_shares where payment_object_id = ?`, [paymentObjectId]);
    return row ? toShare(row) : null;
  }

  /** The share of the payment a refund or dispute names (by charge, else payment intent; `referral_shares_charge_idx`, `…_payment_intent_idx`). */
  async byCharge(em: EntityManager, chargeId: string | null, paymentIntentId: string | null): Promise<ReferralShareRow | null> {
    if (!chargeId && !paymentIntentId) return null;
    const [row] = await em.execute<Row[]>(
      `select ${COLUMNS} from referral_shares where stripe_charge_id = ? or stripe_payment_intent_id = ? order by occurred_at limit 1`,
      [chargeId, paymentIntentId],
    );
    return row ? toShare(row) : null;
  }

  async insert(em: EntityManager, share: Omit<ReferralShareRow, 'id'>): Promise<void> {
    await em.execute(
      `insert into referral_shares (id, payment_kind, payment_object_id, referrer_id, referred_id, stripe_charge_id, stripe_payment_intent_id,
                                    currency, payment_gross_cents, amount_cents, reversed_cents, stripe_transfer_id, transferred_cents, occurred_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        v7(),
        share.paymentKind,
        share.paymentObjectId,
        share.referrerId,
        share.referredId,
        share.stripeChargeId,
        share.stripePaymentIntentId,
        share.currency,
        share.paymentGrossCents,
        share.amountCents,
        share.reversedCents,
        share.stripeTransferId,
        share.transferredCents,
        share.occurredAt,
      ],
    );
  }

  async setReversed(em: EntityManager, id: string, reversedCents: number): Promise<void> {
    await em.execute('update referral_shares set reversed_cents = ? where id = ?', [reversedCents, id]);
  }

  async setTransfer(em: EntityManager, id: string, stripeTransferId: string, transferredCents: number): Promise<void> {
    await em.execute('update referral_shares set stripe_transfer_id = ?, transferred_cents = ? where id = ?', [stripeTransferId, transferredCents, id]);
  }

  /** The referrer's shares still to pay, by id (`referral_shares_pending_idx`): not transferred, something left. */
  async pendingOf(em: EntityManager, referrerId: string, afterId: string | null, limit: number): Promise<ReferralShareRow[]> {
    const rows = await em.execute<Row[]>(
      `select ${COLUMNS} from referral_shares
        where referrer_id = ? and stripe_transfer_id is null and id > coalesce(?::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
          and amount_cents > reversed_cents
        order by id limit ?`,
      [referrerId, afterId, limit],
    );
    return rows.map(toShare);
  }
}

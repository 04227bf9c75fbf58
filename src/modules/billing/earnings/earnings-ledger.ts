import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { EarningsKind } from '../entities/earnings-entry.entity';

/**
 * Rebuilds `earnings_months` from the ledger (after a bulk load such as the demo seed; or, after `delete from
 * earnings_months`, to repair it). The same sums as the per-entry upsert in `record`.
 */
export const REBUILD_EARNINGS_MONTHS_SQL = `insert into earnings_months (creator_id, currency, month, gross_cents, fee_cents, net_cents, refunded_cents,
                                   referral_cents, tip_cents, gift_cents, discount_cents, unlocks, new_subscribers, churned_subscribers)
  select creator_id, currency, date_trunc('month', occurred_at at time zone 'UTC')::date,
         sum(gross_cents), sum(fee_cents), sum(net_cents), coalesce(-sum(gross_cents) filter (where kind = 'refund'), 0),
         coalesce(sum(amount_cents) filter (where kind in ('referral_share', 'referral_share_reversal')), 0),
         coalesce(sum(gross_cents) filter (where kind = 'tip'), 0), coalesce(sum(gross_cents) filter (where kind = 'gift'), 0),
         sum(discount_cents), count(*) filter (where kind = 'unlock'), count(*) filter (where kind = 'subscriber_started'),
         count(*) filter (where kind = 'subscriber_ended')
    from earnings_entries group by 1, 2, 3`;

/**
 * The kinds that are a buyer's payment to a creator, which refunds and disputes take back. One-time payments (`unlock`,
 * `message_unlock`, `tip`, `gift`) are recorded by `EarningsRecorder.checkoutPaymentPaid`.
 */
export const PAYMENT_KINDS: readonly EarningsKind[] = ['subscription_payment', 'unlock', 'message_unlock', 'tip', 'gift'];

/**
 * The referrer's income (docs/billing.md#referral-rewards): gross, fee and net zero (not a buyer's payment), `amount_cents`
 * the share (negative for a reversal), summed as `earnings_months.referral_cents`. The money they stand for moves as
 * the `transfer` and `transfer_reversal` entries booked with them, which reconciliation compares with Stripe.
 */
export const REFERRAL_KINDS: readonly EarningsKind[] = ['referral_share', 'referral_share_reversal'];

/** What the refunds of one charge recorded so far (positive amounts). */
export interface RecordedRefunds {
  /** The refund ids (`re_…`) recorded one entry each. */
  refundIds: Set<string>;
  /** The total the charge's refunds reached in rows recorded before refunds had their own entries (`ch_…:refunded:<total>`). */
  legacyCents: number;
  grossCents: number;
  feeCents: number;
}

/** A row of the ledger, as recorded. `netCents` is always `grossCents - feeCents`. */
export interface LedgerEntry {
  creatorId: string;
  kind: EarningsKind;
  grossCents: number;
  feeCents: number;
  /** What the Stripe object moved, signed (EarningsEntry.amountCents); defaults to `grossCents`. */
  amountCents?: number;
  /** What discounts took off the payment (EarningsEntry.discountCents); defaults to 0. */
  discountCents?: number;
  currency: string;
  counterpartyId: string | null;
  /** With `kind`, what makes the row unique: a repeat of it records nothing. */
  stripeObjectId: string;
  stripeEventId: string | null;
  stripeInvoiceId?: string | null;
  stripeChargeId?: string | null;
  stripePaymentIntentId?: string | null;
  stripeCheckoutSessionId?: string | null;
  stripeSubscriptionId?: string | null;
  occurredAt: Date;
}

/** A recorded payment (subscription invoice or unlock), as refunds and disputes of it need it. */
export interface RecordedPayment {
  creatorId: string;
  counterpartyId: string | null;
  grossCents: number;
  feeCents: number;
  currency: string;
  stripeInvoiceId: string | null;
  stripePaymentIntentId: string | null;
  stripeChargeId: string | null;
}

/** A money entry as reconciliation compares it with Stripe (subscriber rows move no money and are left out). */
export interface MoneyEntry {
  id: string;
  kind: EarningsKind;
  stripeObjectId: string;
  stripeChargeId: string | null;
  amountCents: number;
  currency: string;
  occurredAt: Date;
}

/** A creator's month in the summary: sums as numbers. */
export interface MonthTotals {
  month: string;
  grossCents: number;
  feeCents: number;
  netCents: number;
  refundedCents: number;
  referralCents: number;
  /** The gross of the month's tips and gifts (their refunds are in refundedCents). */
  tipCents: number;
  giftCents: number;
  /** What discounts took off the month's paid subscription invoices (not in grossCents). */
  discountCents: number;
  unlocks: number;
  newSubscribers: number;
  churnedSubscribers: number;
}

/** A recorded payment as the referral share of it needs it (`occurredAt`: the payment's time). */
export interface LedgerPayment {
  creatorId: string;
  feeCents: number;
  grossCents: number;
  currency: string;
  stripeChargeId: string | null;
  stripePaymentIntentId: string | null;
  occurredAt: Date;
}

type MonthRow = {
  month: string;
  gross_cents: string;
  fee_cents: string;
  net_cents: string;
  refunded_cents: string;
  referral_cents: string;
  tip_cents: string;
  gift_cents: string;
  discount_cents: string;
  unlocks: number;
  new_subscribers: number;
  churned_subscribers: number;
};

/**
 * The SQL of `earnings_entries` and `earnings_months`. An entry and its month's sums are written by one statement (a
 * data-modifying CTE), in the caller's transaction: the month moves exactly when a new entry is inserted, never for
 * a repeat (`on conflict do nothing` returns no row, so the upsert adds nothing).
 */
@Injectable()
export class EarningsLedger {
  /** Records the entry unless its (kind, Stripe object) is already there; true when it was new. */
  async record(em: EntityManager, e: LedgerEntry): Promise<boolean> {
    const rows = await em.execute<{ inserted: number }[]>(
      `with entry as (
         insert into earnings_entries (id, creator_id, kind, gross_cents, fee_cents, net_cents, amount_cents, discount_cents, currency, counterparty_id,
                                       stripe_object_id, stripe_event_id, stripe_invoice_id, stripe_charge_id,
                                       stripe_payment_intent_id, stripe_checkout_session_id, stripe_subscription_id, occurred_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (kind, stripe_object_id) do nothing
         returning creator_id, currency, occurred_at, kind, gross_cents, fee_cents, net_cents, amount_cents, discount_cents
       ), summed as (
         insert into earnings_months as m (creator_id, currency, month, gross_cents, fee_cents, net_cents, refunded_cents,
                                           referral_cents, tip_cents, gift_cents, discount_cents, unlocks, new_subscribers, churned_subscribers)
         select creator_id, currency, date_trunc('month', occurred_at at time zone 'UTC')::date, gross_cents, fee_cents, net_cents,
                case when kind = 'refund' then -gross_cents else 0 end,
                case when kind in ('referral_share', 'referral_share_reversal') then amount_cents else 0 end,
                case when kind = 'tip' then gross_cents else 0 end, case when kind = 'gift' then gross_cents else 0 end,
                discount_cents,
                (kind = 'unlock')::int, (kind = 'subscriber_started')::int, (kind = 'subscriber_ended')::int
           from entry
         on conflict (creator_id, currency, month) do update set
           gross_cents = m.gross_cents + excluded.gross_cents,
           fee_cents = m.fee_cents + excluded.fee_cents,
           net_cents = m.net_cents + excluded.net_cents,
           refunded_cents = m.refunded_cents + excluded.refunded_cents,
           referral_cents = m.referral_cents + excluded.referral_cents,
           tip_cents = m.tip_cents + excluded.tip_cents,
           gift_cents = m.gift_cents + excluded.gift_cents,
           discount_cents = m.discount_cents + excluded.discount_cents,
           unlocks = m.unlocks + excluded.unlocks,
           new_subscribers = m.new_subscribers + excluded.new_subscribers,
           churned_subscribers = m.churned_subscribers + excluded.churned_subscribers
         returning 1
       )
       select count(*)::int as inserted from summed`,
      [
        v7(),
        e.creatorId,
        e.kind,
        e.grossCents,
        e.feeCents,
        e.grossCents - e.feeCents,
        e.amountCents ?? e.grossCents,
        e.discountCents ?? 0,
        e.currency.toLowerCase(),
        e.counterpartyId,
        e.stripeObjectId,
        e.stripeEventId,
        e.stripeInvoiceId ?? null,
        e.stripeChargeId ?? null,
        e.stripePaymentIntentId ?? null,
        e.stripeCheckoutSessionId ?? null,
        e.stripeSubscriptionId ?? null,
        e.occurredAt,
      ],
    );
    return rows[0].inserted > 0;
  }

  /** The payment a refund or dispute takes back: by payment intent, else by charge. */
  async payment(em: EntityManager, ref: { paymentIntentId: string | null; chargeId: string | null }): Promise<RecordedPayment | null> {
    if (!ref.paymentIntentId && !ref.chargeId) return null;
    const [row] = await em.execute<
      { creator_id: string; counterparty_id: string | null; gross_cents: number; fee_cents: number; currency: string; stripe_invoice_id: string | null; stripe_payment_intent_id: string | null; stripe_charge_id: string | null }[]
    >(
      `select creator_id, counterparty_id, gross_cents, fee_cents, currency, stripe_invoice_id, stripe_payment_intent_id, stripe_charge_id
         from earnings_entries
        where kind in (${PAYMENT_KINDS.map((k) => `'${k}'`).join(', ')})
          and (stripe_payment_intent_id = ? or stripe_charge_id = ?)
        order by occurred_at limit 1`,
      [ref.paymentIntentId, ref.chargeId],
    );
    if (!row) return null;
    return {
      creatorId: row.creator_id,
      counterpartyId: row.counterparty_id,
      grossCents: row.gross_cents,
      feeCents: row.fee_cents,
      currency: row.currency,
      stripeInvoiceId: row.stripe_invoice_id,
      stripePaymentIntentId: row.stripe_payment_intent_id,
      stripeChargeId: row.stripe_charge_id,
    };
  }

  /** The payment entry of this kind and Stripe object (the invoice or checkout session), or null. */
  async paymentByObject(em: EntityManager, kind: string, stripeObjectId: string): Promise<LedgerPayment | null> {
    if (!PAYMENT_KINDS.includes(kind as EarningsKind)) return null;
    const [row] = await em.execute<
      { creator_id: string; gross_cents: number; fee_cents: number; currency: string; stripe_charge_id: string | null; stripe_payment_intent_id: string | null; occurred_at: Date }[]
    >(
      `select creator_id, gross_cents, fee_cents, currency, stripe_charge_id, stripe_payment_intent_id, occurred_at
         from earnings_entries where kind = ? and stripe_object_id = ?`,
      [kind, stripeObjectId],
    );
    if (!row) return null;
    return {
      creatorId: row.creator_id,
      grossCents: row.gross_cents,
      feeCents: row.fee_cents,
      currency: row.currency,
      stripeChargeId: row.stripe_charge_id,
      stripePaymentIntentId: row.stripe_payment_intent_id,
      occurredAt: new Date(row.occurred_at),
    };
  }

  /**
   * What refunds and disputes took back of a charge so far (positive): the refunds' gross, and the disputes that
   * withdrew funds and were not reinstated (their ids, for their outcome).
   */
  async takenBack(em: EntityManager, chargeId: string): Promise<{ refundedCents: number; openDisputes: { id: string; cents: number }[] }> {
    const rows = await em.execute<{ kind: EarningsKind; stripe_object_id: string; gross_cents: number }[]>(
      `select kind, stripe_object_id, gross_cents from earnings_entries where stripe_charge_id = ? and kind in ('refund', 'dispute', 'dispute_won')`,
      [chargeId],
    );
    const won = new Set(rows.filter((r) => r.kind === 'dispute_won').map((r) => r.stripe_object_id));
    return {
      refundedCents: -rows.filter((r) => r.kind === 'refund').reduce((sum, r) => sum + r.gross_cents, 0),
      openDisputes: rows.filter((r) => r.kind === 'dispute' && !won.has(r.stripe_object_id)).map((r) => ({ id: r.stripe_object_id, cents: -r.gross_cents })),
    };
  }

  /**
   * Serialises, until the transaction ends, the refunds recorded for one charge: each refund's fee share is computed
   * on the charge's refunded total, so two transactions must not both start from the same recorded total.
   */
  async lockCharge(em: EntityManager, chargeId: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtext(?))`, [`earnings-charge:${chargeId}`]);
  }

  /** What refunds of this charge recorded so far: per refund, and the old per-total rows (`ch_…:refunded:<total>`). */
  async refundsOf(em: EntityManager, chargeId: string): Promise<RecordedRefunds> {
    const rows = await em.execute<{ stripe_object_id: string; gross_cents: number; fee_cents: number }[]>(
      `select stripe_object_id, gross_cents, fee_cents from earnings_entries where stripe_charge_id = ? and kind = 'refund'`,
      [chargeId],
    );
    const legacy = rows.filter((r) => r.stripe_object_id.startsWith(`${chargeId}:refunded:`));
    return {
      refundIds: new Set(rows.filter((r) => !legacy.includes(r)).map((r) => r.stripe_object_id)),
      legacyCents: -legacy.reduce((sum, r) => sum + r.gross_cents, 0),
      grossCents: -rows.reduce((sum, r) => sum + r.gross_cents, 0),
      feeCents: -rows.reduce((sum, r) => sum + r.fee_cents, 0),
    };
  }

  /** Whether an entry of this kind is recorded for the Stripe object. */
  async has(em: EntityManager, kind: EarningsKind, stripeObjectId: string): Promise<boolean> {
    const rows = await em.execute(`select 1 from earnings_entries where kind = ? and stripe_object_id = ?`, [kind, stripeObjectId]);
    return rows.length > 0;
  }

  /** The money entries that occurred in [from, to), oldest first (by `earnings_entries_occurred_idx`). */
  async moneyEntriesBetween(em: EntityManager, from: Date, to: Date): Promise<MoneyEntry[]> {
    const rows = await em.execute<
      { id: string; kind: EarningsKind; stripe_object_id: string; stripe_charge_id: string | null; amount_cents: number; currency: string; occurred_at: Date }[]
    >(
      `select id, kind, stripe_object_id, stripe_charge_id, amount_cents, currency, occurred_at
         from earnings_entries
        where occurred_at >= ? and occurred_at < ? and kind not in ('subscriber_started', 'subscriber_ended')
        order by occurred_at, id`,
      [from, to],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      stripeObjectId: r.stripe_object_id,
      stripeChargeId: r.stripe_charge_id,
      amountCents: r.amount_cents,
      currency: r.currency,
      occurredAt: new Date(r.occurred_at),
    }));
  }

  /** Every month of the creator's summary in `currency`, oldest first (one row per month with any entry). */
  async months(em: EntityManager, creatorId: string, currency: string): Promise<MonthTotals[]> {
    const rows = await em.execute<MonthRow[]>(
      `select to_char(month, 'YYYY-MM') as month, gross_cents, fee_cents, net_cents, refunded_cents, referral_cents, tip_cents, gift_cents, discount_cents, unlocks, new_subscribers, churned_subscribers
         from earnings_months where creator_id = ? and currency = ? order by month`,
      [creatorId, currency.toLowerCase()],
    );
    return rows.map((r) => ({
      month: r.month,
      grossCents: Number(r.gross_cents),
      feeCents: Number(r.fee_cents),
      netCents: Number(r.net_cents),
      refundedCents: Number(r.refunded_cents),
      referralCents: Number(r.referral_cents),
      tipCents: Number(r.tip_cents),
      giftCents: Number(r.gift_cents),
      discountCents: Number(r.discount_cents),
      unlocks: r.unlocks,
      newSubscribers: r.new_subscribers,
      churnedSubscribers: r.churned_subscribers,
    }));
  }
}

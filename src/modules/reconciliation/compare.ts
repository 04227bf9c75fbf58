import type Stripe from 'stripe';
import type { MoneyEntry } from '@/modules/billing/ledger-audit.service';

/** The ledger's kind a Stripe money movement stands for; `payment`: a charge, whichever payment kind recorded it. */
export type MovementKind =
  | 'payment'
  | 'refund'
  | 'dispute'
  | 'dispute_won'
  | 'application_fee'
  | 'application_fee_refund'
  | 'transfer'
  | 'transfer_reversal';

/** One of Stripe's balance transactions that moved creator money, amount signed as the ledger signs it. */
export interface StripeMovement {
  /** The balance transaction's source: `ch_…`, `re_…`, `dp_…`, `fee_…`, `fr_…`, `tr_…`, `trr_…`. */
  stripeId: string;
  kind: MovementKind;
  amountCents: number;
  createdAt: Date;
  /** The charge a refund or dispute belongs to, when Stripe expanded its source. */
  chargeId: string | null;
}

export interface Window {
  from: Date;
  to: Date;
}

export interface Comparison {
  stripeObjects: number;
  ledgerEntries: number;
  missingInLedger: { stripeId: string; kind: MovementKind; amountCents: number; createdAt: Date }[];
  missingInStripe: { entryId: string; kind: string; amountCents: number; stripeId: string }[];
  mismatched: { stripeId: string; kind: string; ledgerCents: number; stripeCents: number }[];
}

/**
 * Ledger kinds that are bookkeeping of the platform's own money, keyed by the payment they share in: a referrer's
 * share and its reversal (docs/billing.md#referral-rewards). The money they move is the `transfer` (`tr_…`) and
 * `transfer_reversal` (`trr_…`) entries booked with them, which meet Stripe's balance transactions like any transfer.
 */
const NOT_MONEY = new Set(['referral_share', 'referral_share_reversal']);

/** Ledger kinds that are not a payment (a charge): each is keyed by its own Stripe object. */
const NOT_PAYMENTS = new Set(['refund', 'dispute', 'dispute_won', 'application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal']);

/** By the source's id prefix (ISSUE 25's table); the sign flips where the platform's balance moves opposite to the creator's money. */
const BY_PREFIX: [prefix: string, kind: (amount: number) => MovementKind, sign: 1 | -1][] = [
  ['ch_', () => 'payment', 1],
  ['py_', () => 'payment', 1],
  ['re_', () => 'refund', 1],
  ['pyr_', () => 'refund', 1],
  ['dp_', (amount) => (amount < 0 ? 'dispute' : 'dispute_won'), 1],
  ['du_', (amount) => (amount < 0 ? 'dispute' : 'dispute_won'), 1],
  ['fee_', () => 'application_fee', 1],
  ['fr_', () => 'application_fee_refund', 1],
  // A transfer leaves the platform's balance (negative) to reach the creator (the ledger's +amount); a reversal comes back.
  ['trr_', () => 'transfer_reversal', -1],
  ['tr_', () => 'transfer', -1],
];

const idOf = (value: string | { id: string } | null | undefined): string | null => (typeof value === 'string' ? value : (value?.id ?? null));

/**
 * The creator-money movement a balance transaction stands for, or null for the platform's own (payouts, Stripe's
 * fees, top-ups: no source, or a source of another kind).
 */
export function movementOf(bt: Stripe.BalanceTransaction): StripeMovement | null {
  const source = bt.source;
  const stripeId = idOf(source);
  if (!stripeId) return null;
  const rule = BY_PREFIX.find(([prefix]) => stripeId.startsWith(prefix));
  if (!rule) return null;
  const [, kind, sign] = rule;
  const chargeId = source && typeof source === 'object' && 'charge' in source ? idOf(source.charge) : null;
  return { stripeId, kind: kind(bt.amount), amountCents: sign * bt.amount, createdAt: new Date(bt.created * 1000), chargeId };
}

/** The key both sides meet on: a charge for payments, else the kind and the Stripe object. */
const stripeKey = (m: StripeMovement) => (m.kind === 'payment' ? `charge:${m.stripeId}` : `${m.kind}:${m.stripeId}`);
/** Refund rows written before refunds had one entry per refund id (`ch_…:refunded:<total>`): summed per charge. */
const isLegacyRefund = (e: MoneyEntry) => e.kind === 'refund' && !e.stripeObjectId.startsWith('re_') && !!e.stripeChargeId;
const ledgerKey = (e: MoneyEntry) => {
  if (isLegacyRefund(e)) return `legacy-refund:${e.stripeChargeId}`;
  if (!NOT_PAYMENTS.has(e.kind) && e.stripeChargeId) return `charge:${e.stripeChargeId}`;
  return `${e.kind}:${e.stripeObjectId}`;
};

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

const sum = (amounts: number[]) => amounts.reduce((a, b) => a + b, 0);

/**
 * Stripe's movements against the ledger's entries, by Stripe id. Both sides are read over a wider window than
 * reported (an invoice is paid a moment after its charge, a dispute is entered at its creation): a pair is reported
 * when either side of it falls in `window`, and a side found only outside it is no difference.
 */
export function compare(movements: StripeMovement[], entries: MoneyEntry[], window: Window): Comparison {
  const inWindow = (at: Date) => at >= window.from && at < window.to;
  entries = entries.filter((e) => !NOT_MONEY.has(e.kind));
  const ledger = groupBy(entries, ledgerKey);
  const stripe = groupBy(movements, (m) => {
    const key = stripeKey(m);
    // A refund the ledger knows only in the old per-charge form meets those rows by its charge.
    return m.kind === 'refund' && !ledger.has(key) && m.chargeId && ledger.has(`legacy-refund:${m.chargeId}`) ? `legacy-refund:${m.chargeId}` : key;
  });
  const result: Comparison = {
    stripeObjects: movements.filter((m) => inWindow(m.createdAt)).length,
    ledgerEntries: entries.filter((e) => inWindow(e.occurredAt)).length,
    missingInLedger: [],
    missingInStripe: [],
    mismatched: [],
  };
  for (const key of new Set([...stripe.keys(), ...ledger.keys()])) {
    const s = stripe.get(key) ?? [];
    const l = ledger.get(key) ?? [];
    if (!s.some((m) => inWindow(m.createdAt)) && !l.some((e) => inWindow(e.occurredAt))) continue;
    if (!l.length) {
      for (const m of s.filter((x) => inWindow(x.createdAt))) result.missingInLedger.push({ stripeId: m.stripeId, kind: m.kind, amountCents: m.amountCents, createdAt: m.createdAt });
    } else if (!s.length) {
      for (const e of l.filter((x) => inWindow(x.occurredAt))) {
        result.missingInStripe.push({ entryId: e.id, kind: e.kind, amountCents: e.amountCents, stripeId: e.stripeChargeId && !NOT_PAYMENTS.has(e.kind) ? e.stripeChargeId : e.stripeObjectId });
      }
    } else {
      const ledgerCents = sum(l.map((e) => e.amountCents));
      const stripeCents = sum(s.map((m) => m.amountCents));
      if (ledgerCents !== stripeCents) {
        const stripeId = key.startsWith('legacy-refund:') ? s[0].chargeId! : s[0].stripeId;
        result.mismatched.push({ stripeId, kind: l[0].kind, ledgerCents, stripeCents });
      }
    }
  }
  return result;
}

import type Stripe from 'stripe';
import type { MoneyEntry } from '@/modules/billing/ledger-audit.service';
import { compare, movementOf, StripeMovement } from './compare';

const at = (iso: string) => new Date(iso);
const window = { from: at('2026-11-01T00:00:00Z'), to: at('2026-12-01T00:00:00Z') };
const inside = at('2026-11-10T12:00:00Z');

const bt = (source: Stripe.BalanceTransaction['source'], amount: number, created = inside): Stripe.BalanceTransaction =>
  ({ id: 'txn_1', object: 'balance_transaction', amount, created: created.getTime() / 1000, source, type: 'charge' }) as Stripe.BalanceTransaction;
const movement = (stripeId: string, kind: StripeMovement['kind'], amountCents: number, createdAt = inside, chargeId: string | null = null): StripeMovement => ({
  stripeId,
  kind,
  amountCents,
  createdAt,
  chargeId,
});
let n = 0;
const entry = (kind: MoneyEntry['kind'], stripeObjectId: string, amountCents: number, stripeChargeId: string | null = null, occurredAt = inside): MoneyEntry => ({
  id: `e${++n}`,
  kind,
  stripeObjectId,
  stripeChargeId,
  amountCents,
  currency: 'usd',
  occurredAt,
});

describe(movementOf.name, () => {
  it('maps each source prefix to its ledger kind, signed as the ledger signs it', () => {
    expect(movementOf(bt('ch_1', 1000))).toMatchObject({ stripeId: 'ch_1', kind: 'payment', amountCents: 1000 });
    expect(movementOf(bt('re_1', -400))).toMatchObject({ kind: 'refund', amountCents: -400 });
    expect(movementOf(bt('dp_1', -1000))).toMatchObject({ kind: 'dispute', amountCents: -1000 });
    expect(movementOf(bt('dp_1', 1000))).toMatchObject({ kind: 'dispute_won', amountCents: 1000 });
    expect(movementOf(bt('fee_1', 100))).toMatchObject({ kind: 'application_fee', amountCents: 100 });
    expect(movementOf(bt('fr_1', -100))).toMatchObject({ kind: 'application_fee_refund', amountCents: -100 });
    // The platform's balance falls by a transfer that the creator receives, and rises by its reversal.
    expect(movementOf(bt('tr_1', -900))).toMatchObject({ kind: 'transfer', amountCents: 900 });
    expect(movementOf(bt('trr_1', 300))).toMatchObject({ kind: 'transfer_reversal', amountCents: -300 });
  });

  it("skips the platform's own money (payouts, Stripe's fees) and reads an expanded source's charge", () => {
    expect(movementOf(bt('po_1', -5000))).toBeNull();
    expect(movementOf(bt(null, -30))).toBeNull();
    const refund = { id: 're_2', object: 'refund', charge: 'ch_9' } as Stripe.Refund;
    expect(movementOf(bt(refund, -100))).toMatchObject({ stripeId: 're_2', chargeId: 'ch_9' });
  });
});

describe(compare.name, () => {
  it('matches payments by charge and the rest by object; reports each side alone and different amounts', () => {
    const result = compare(
      [movement('ch_a', 'payment', 1000), movement('ch_b', 'payment', 500), movement('re_a', 'refund', -200), movement('dp_a', 'dispute', -1000), movement('dp_a', 'dispute_won', 1000)],
      [
        entry('subscription_payment', 'in_a', 1000, 'ch_a'),
        entry('refund', 're_a', -250, 'ch_a'),
        entry('dispute', 'dp_a', -1000, 'ch_a'),
        entry('dispute_won', 'dp_a', 1000, 'ch_a'),
        entry('unlock', 'cs_x', 300, 'ch_x'),
      ],
      window,
    );
    expect(result).toEqual({
      stripeObjects: 5,
      ledgerEntries: 5,
      missingInLedger: [{ stripeId: 'ch_b', kind: 'payment', amountCents: 500, createdAt: inside }],
      missingInStripe: [{ entryId: expect.any(String), kind: 'unlock', amountCents: 300, stripeId: 'ch_x' }],
      mismatched: [{ stripeId: 're_a', kind: 'refund', ledgerCents: -250, stripeCents: -200 }],
    });
  });

  it('reports nothing for a pair split by the window edge, and nothing outside the window', () => {
    const edge = at('2026-11-30T23:59:59Z');
    const after = at('2026-12-01T00:00:01Z');
    const result = compare([movement('ch_a', 'payment', 1000, edge), movement('ch_z', 'payment', 700, after)], [entry('subscription_payment', 'in_a', 1000, 'ch_a', after)], window);
    expect(result).toMatchObject({ stripeObjects: 1, ledgerEntries: 0, missingInLedger: [], missingInStripe: [], mismatched: [] });
  });

  it('meets the older per-charge refund rows (`ch_…:refunded:<total>`) by their charge, summed', () => {
    const refunds = [movement('re_1', 'refund', -200, inside, 'ch_a'), movement('re_2', 'refund', -300, inside, 'ch_a')];
    const legacy = [entry('refund', 'ch_a:refunded:200', -200, 'ch_a'), entry('refund', 'ch_a:refunded:500', -300, 'ch_a')];
    expect(compare(refunds, legacy, window)).toMatchObject({ missingInLedger: [], missingInStripe: [], mismatched: [] });
    expect(compare(refunds, legacy.slice(0, 1), window).mismatched).toEqual([{ stripeId: 'ch_a', kind: 'refund', ledgerCents: -200, stripeCents: -500 }]);
  });
});

describe('referral shares', () => {
  it('meets a referral transfer and its reversal by their own ids, and leaves the shares (keyed by the payment) out', () => {
    const movements = [movement('ch_1', 'payment', 1000), movement('tr_ref', 'transfer', 10), movement('trr_ref', 'transfer_reversal', -3)];
    const entries = [
      entry('unlock', 'cs_1', 1000, 'ch_1'),
      entry('referral_share', 'cs_1', 10, 'ch_1'),
      entry('referral_share_reversal', 'cs_1:reversed:3', -3, 'ch_1'),
      entry('transfer', 'tr_ref', 10),
      entry('transfer_reversal', 'trr_ref', -3),
    ];
    expect(compare(movements, entries, window)).toEqual({ stripeObjects: 3, ledgerEntries: 3, missingInLedger: [], missingInStripe: [], mismatched: [] });
  });
});

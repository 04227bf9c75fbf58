import { SubscriptionStatus } from '../entities/subscription.entity';
import { SubscriptionState } from '../stripe/stripe-objects';
import { EarningsLedger, LedgerEntry } from './earnings-ledger';
import { EarningsRecorder } from './earnings-recorder.service';

const pair = { subscriberId: 'fan', creatorId: 'creator' };
const T0 = new Date('2026-12-01T10:00:00Z');
const ENDED = new Date('2026-12-05T10:00:00Z');

function state(status: SubscriptionStatus): SubscriptionState {
  return {
    stripeSubscriptionId: 'sub_1',
    status,
    priceCents: 500,
    currency: 'usd',
    currentPeriodStart: T0,
    currentPeriodEnd: ENDED,
    cancelAtPeriodEnd: false,
    canceledAt: null,
    latestInvoiceId: null,
    startedAt: T0,
    endedAt: ENDED,
    payoutDestination: 'platform',
    tierId: null,
    productId: null,
    interval: 'month',
    bundleMonths: null,
    trialEnd: null,
  };
}

/** The recorder over a ledger that keeps (kind, object) pairs: which rows a state records, given what is recorded. */
async function recorded(status: SubscriptionStatus, options: { current?: boolean; startedBefore?: boolean } = {}): Promise<string[]> {
  const rows = new Set<string>(options.startedBefore ? ['subscriber_started'] : []);
  const written: string[] = [];
  const ledger = {
    record: async (_em: unknown, e: LedgerEntry) => {
      if (rows.has(e.kind)) return false;
      rows.add(e.kind);
      written.push(e.kind);
      return true;
    },
    has: async (_em: unknown, kind: string) => rows.has(kind),
  } as unknown as EarningsLedger;
  const recorder = new EarningsRecorder(ledger, null as never, null as never, null as never, null as never, null as never);
  await recorder.subscriberState(null as never, pair, state(status), options.current ?? true);
  return written;
}

describe('EarningsRecorder.subscriberState: new and churned subscribers, once per Stripe subscription', () => {
  it.each(['active', 'trialing', 'past_due', 'paused'] as const)('starts a subscription seen %s, and ends nothing', async (status) => {
    expect(await recorded(status)).toEqual(['subscriber_started']);
  });

  it.each(['canceled', 'unpaid'] as const)('ends a %s subscription (starting it first when its start was never seen)', async (status) => {
    expect(await recorded(status)).toEqual(['subscriber_started', 'subscriber_ended']);
    expect(await recorded(status, { startedBefore: true })).toEqual(['subscriber_ended']);
  });

  it('never counts an incomplete subscription, nor one that expired without starting', async () => {
    expect(await recorded('incomplete')).toEqual([]);
    expect(await recorded('incomplete_expired')).toEqual([]);
  });

  it('ends an incomplete_expired subscription that had started', async () => {
    expect(await recorded('incomplete_expired', { startedBefore: true })).toEqual(['subscriber_ended']);
  });

  it('counts the ending of a subscription that no longer holds the row only when its start was recorded, and never starts it', async () => {
    expect(await recorded('canceled', { current: false, startedBefore: true })).toEqual(['subscriber_ended']);
    expect(await recorded('canceled', { current: false })).toEqual([]);
    expect(await recorded('active', { current: false })).toEqual([]);
  });
});

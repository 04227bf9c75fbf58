import { Subscription, SubscriptionStatus } from './entities/subscription.entity';
import { SubscriptionState } from './stripe/stripe-objects';
import { supersedes } from './subscription-sync.service';

const T0 = new Date('2026-12-01T10:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

/** The stored row: only what the ordering reads. */
function row(stripeSubscriptionId: string | null, status: SubscriptionStatus, stripeStateAt: Date | null): Subscription {
  return { stripeSubscriptionId, status, stripeStateAt } as Subscription;
}

function state(stripeSubscriptionId: string, status: SubscriptionStatus): SubscriptionState {
  return {
    stripeSubscriptionId,
    status,
    priceCents: 500,
    currency: 'usd',
    currentPeriodStart: T0,
    currentPeriodEnd: later(30 * 86_400_000),
    cancelAtPeriodEnd: false,
    canceledAt: null,
    latestInvoiceId: null,
    startedAt: null,
    endedAt: null,
    payoutDestination: 'platform',
    tierId: null,
    productId: null,
    interval: 'month',
    bundleMonths: null,
    trialEnd: null,
  };
}

describe(supersedes.name, () => {
  describe('the same Stripe subscription', () => {
    it('applies a state read later than the stored one, whatever the status moves to', () => {
      expect(supersedes(row('sub_1', 'active', T0), state('sub_1', 'canceled'), later(1))).toBe(true);
      expect(supersedes(row('sub_1', 'canceled', T0), state('sub_1', 'active'), later(1))).toBe(true);
    });

    it('ignores a state read at or before the stored one (a late or repeated event never moves the row back)', () => {
      expect(supersedes(row('sub_1', 'canceled', T0), state('sub_1', 'active'), T0)).toBe(false);
      expect(supersedes(row('sub_1', 'canceled', T0), state('sub_1', 'active'), later(-1))).toBe(false);
    });

    it('applies any state to a row that was never read from Stripe', () => {
      expect(supersedes(row('sub_1', 'incomplete', null), state('sub_1', 'active'), T0)).toBe(true);
    });
  });

  describe('another Stripe subscription for the same pair', () => {
    it('replaces a row that has no Stripe subscription yet', () => {
      expect(supersedes(row(null, 'incomplete', null), state('sub_2', 'incomplete'), T0)).toBe(true);
    });

    it.each(['canceled', 'incomplete_expired', 'unpaid', 'incomplete', 'paused'] as const)('replaces a row whose subscription stopped running (%s) with a new one', (stopped) => {
      expect(supersedes(row('sub_1', stopped, T0), state('sub_2', 'active'), later(1))).toBe(true);
    });

    it.each(['active', 'trialing', 'past_due'] as const)('never replaces a running (%s) subscription', (running) => {
      expect(supersedes(row('sub_1', running, T0), state('sub_2', 'active'), later(1))).toBe(false);
    });

    it.each(['canceled', 'incomplete_expired'] as const)('never lets the late news of an ended (%s) subscription replace anything', (ended) => {
      expect(supersedes(row('sub_1', 'canceled', T0), state('sub_0', ended), later(1))).toBe(false);
    });
  });
});

import type Stripe from 'stripe';
import { stripeIdempotencyKey } from './stripe.client';
import { bundleCents } from '../entities/creator-bundle.entity';
import { bundleMonthsOf, invoiceSubscriptionId, subscriptionState } from './stripe-objects';

describe('stripe objects', () => {
  const item = { current_period_start: 1_700_000_000, current_period_end: 1_702_592_000, price: { unit_amount: 500, currency: 'usd', product: 'prod_1' } };
  const subscription = (fields: object) =>
    ({ id: 'sub_1', status: 'active', currency: 'usd', cancel_at_period_end: false, canceled_at: null, start_date: 1_699_990_000, ended_at: null, items: { data: [item] }, ...fields }) as unknown as Stripe.Subscription;

  it('reads the period from the subscription item (current API) and from the subscription (legacy versions)', () => {
    expect(subscriptionState(subscription({}))).toEqual({
      stripeSubscriptionId: 'sub_1',
      status: 'active',
      priceCents: 500,
      currency: 'usd',
      currentPeriodStart: new Date(1_700_000_000_000),
      currentPeriodEnd: new Date(1_702_592_000_000),
      cancelAtPeriodEnd: false,
      canceledAt: null,
      latestInvoiceId: null,
      startedAt: new Date(1_699_990_000_000),
      endedAt: null,
      payoutDestination: 'platform',
      tierId: null,
      productId: 'prod_1',
      interval: 'month',
      bundleMonths: null,
      trialEnd: null,
      offerCode: null,
    });
    expect(subscriptionState(subscription({ metadata: { offer_code: 'WELCOME' } })).offerCode).toBe('WELCOME');
    const legacy = subscription({ items: { data: [{ price: item.price }] }, current_period_start: 1, current_period_end: 2 });
    expect(subscriptionState(legacy)).toMatchObject({ currentPeriodStart: new Date(1000), currentPeriodEnd: new Date(2000) });
  });

  it("finds an invoice's subscription under parent.subscription_details, or the legacy field", () => {
    const current = { parent: { subscription_details: { subscription: 'sub_2' } } } as unknown as Stripe.Invoice;
    const legacy = { parent: null, subscription: { id: 'sub_3' } } as unknown as Stripe.Invoice;
    const none = { parent: null } as unknown as Stripe.Invoice;
    expect([invoiceSubscriptionId(current), invoiceSubscriptionId(legacy), invoiceSubscriptionId(none)]).toEqual(['sub_2', 'sub_3', null]);
  });

  it('knows a bundle price by its metadata, else by a monthly interval_count of 3, 6 or 12; prices it rounded once', () => {
    const price = (fields: object) => fields as unknown as Stripe.Price;
    expect(bundleMonthsOf(price({ metadata: { bundle_months: '6' }, recurring: { interval: 'month', interval_count: 6 } }))).toBe(6);
    expect(bundleMonthsOf(price({ metadata: {}, recurring: { interval: 'month', interval_count: 12 } }))).toBe(12);
    expect(bundleMonthsOf(price({ metadata: {}, recurring: { interval: 'month', interval_count: 1 } }))).toBeNull();
    expect(bundleMonthsOf(price({ metadata: { bundle_months: '5' }, recurring: { interval: 'year', interval_count: 1 } }))).toBeNull();
    expect(bundleMonthsOf(null)).toBeNull();
    expect([bundleCents(999, 6, 15), bundleCents(1000, 3, 10), bundleCents(333, 12, 50), bundleCents(101, 3, 50)]).toEqual([5095, 2700, 1998, 152]);
  });

  it("scopes a client's Idempotency-Key to the user for Stripe, within Stripe's 255 characters", () => {
    const user = '0190c7d2-0000-7000-8000-000000000001';
    expect(stripeIdempotencyKey(user, undefined)).toBeUndefined();
    expect(stripeIdempotencyKey(user, 'abc')).toBe(`${user}:abc`);
    const long = stripeIdempotencyKey(user, 'k'.repeat(255))!;
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).toBe(stripeIdempotencyKey(user, 'k'.repeat(255)));
  });
});

import { accountDeauthorized, accountUpdated, connectPayouts, deliverApplied } from '../factories/payouts';
import { as } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, BillingSuite, paySubscription, useBillingApp } from '../support/billing';
import { deliver, stripeEvent } from '../support/stripe-events';
import { StripeObject } from '../support/stripe-server';
import { drained } from '../support/wait';

/** The Connect endpoint's signing secret: account events come signed with it. */
const CONNECT_SECRET = 'whsec_x18_local_connect_secret';

// docs/payouts.md#when-a-creator-disconnects: a deauthorized creator's running subscriptions stop paying out to the
// old account (the platform collects and holds the creator's share), and resume to the new one when they reconnect.
describe('Subscription routing across a deauthorization and a reconnection (Stripe Connect)', () => {
  const billing: BillingSuite = useBillingApp({ CONNECT_REQUIRED: 'true', STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET, PLATFORM_FEE_PERCENT: '10' });
  const { t, stripe } = billing;
  const applied = (event: StripeObject) => appliedTo(t, event);
  /** Account events come from the Connect endpoint. */
  const appliedConnect = (event: StripeObject) => deliverApplied(t, event, CONNECT_SECRET);

  /** Subscribes through Checkout: the first invoice paid, Stripe's events applied. */
  const subscribed = async (fan: SignedInUser, creator: SignedInUser): Promise<string> => {
    const { session, subscription } = await paySubscription(billing, fan, creator);
    await applied(stripeEvent('checkout.session.completed', session));
    await applied(stripeEvent('invoice.paid', stripe.invoice(subscription.id, true, { first: true })));
    return subscription.id;
  };
  /** Where Stripe routes each subscription's invoices now: `[destination or null, fee percent or null]`. */
  const routing = (ids: string[]) => ids.map((id) => [stripe.subscription(id).transfer_data?.destination ?? null, stripe.subscription(id).application_fee_percent]);
  const updatesOf = (id: string) => stripe.requestsTo('POST', `/v1/subscriptions/${id}`);
  const destinations = async (ids: string[]) =>
    (await t.sql<{ d: string | null }>('select payout_destination as d from subscriptions where stripe_subscription_id in (?) order by stripe_subscription_id', [ids])).map((r) => r.d);
  const payment = (creator: SignedInUser, invoiceId: string) =>
    t.sql<{ gross_cents: number; fee_cents: number; net_cents: number }>(
      `select gross_cents, fee_cents, net_cents from earnings_entries where creator_id = ? and kind = 'subscription_payment' and stripe_object_id = ?`,
      [creator.id, invoiceId],
    );
  /** A renewal of the subscription paid at Stripe, its `invoice.paid` applied: answers the invoice and its payment intent. */
  const renewed = async (subscriptionId: string) => {
    const invoice = stripe.invoice(subscriptionId, true);
    await applied(stripeEvent('invoice.paid', invoice));
    return { invoice, intent: stripe.invoicePaymentIntent(invoice.id) };
  };

  it('unroutes every billable subscription on deauthorization, holds renewals on the platform, and routes them to the new account on reconnection', async () => {
    const creator = await createSignedInUser(t);
    const first = await connectPayouts(t, stripe, creator, CONNECT_SECRET);
    await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
    const fans = await Promise.all([1, 2, 3, 4].map(() => createSignedInUser(t)));
    const subs = [];
    for (const fan of fans) subs.push(await subscribed(fan, creator));
    const [active, pastDue, unpaid, ended] = subs;
    for (const [id, status] of [[pastDue, 'past_due'], [unpaid, 'unpaid'], [ended, 'canceled']] as const) {
      await applied(stripeEvent('customer.subscription.updated', stripe.updateSubscription(id, { status })));
    }
    const running = [active, pastDue, unpaid].sort();
    expect(routing(subs)).toEqual(subs.map(() => [first, 10]));
    expect(await destinations(running)).toEqual(running.map(() => first));

    // The creator disconnects. A Stripe failure on the second update fails the job, whose retry resumes: the first
    // subscription, done already, is not updated again.
    stripe.failNext(new RegExp(`^POST /v1/subscriptions/${running[1]}$`), 500, { type: 'api_error' });
    stripe.connect.deauthorize(first);
    const deauthorized = accountDeauthorized(first);
    await appliedConnect(deauthorized);
    await drained(t);
    expect(routing(running)).toEqual(running.map(() => [null, null]));
    expect(routing([ended])).toEqual([[first, 10]]);
    expect(updatesOf(ended)).toEqual([]);
    for (const id of running) {
      const updates = updatesOf(id);
      expect(updates.map((u) => u.body)).toEqual((id === running[1] ? [1, 2] : [1]).map(() => ({ transfer_data: '', application_fee_percent: '' })));
      expect(new Set(updates.map((u) => u.idempotencyKey))).toEqual(new Set([`x18-route:${id}:${first}:platform`]));
    }
    expect(await destinations(running)).toEqual(running.map(() => 'platform'));

    // A renewal during the gap is the platform's charge (no destination, no application fee); the ledger records it
    // with the platform's fee taken and the creator owed the rest.
    const held = await renewed(active);
    expect(held.intent.transfer_data).toBeNull();
    expect(held.intent.application_fee_amount).toBeNull();
    expect(await payment(creator, held.invoice.id)).toEqual([{ gross_cents: 500, fee_cents: 50, net_cents: 450 }]);

    // Replays of the deauthorization (the same event re-sent, and a new event for it) change nothing more.
    const before = stripe.requestsTo('POST', /^\/v1\/subscriptions\//).length;
    await deliver(t, deauthorized, { secret: CONNECT_SECRET }).expect(200);
    await appliedConnect(accountDeauthorized(first));
    await drained(t);
    expect(stripe.requestsTo('POST', /^\/v1\/subscriptions\//)).toHaveLength(before);

    // The creator reconnects: a new account, charges enabled. Routing resumes there, with the platform's fee.
    const second = await connectPayouts(t, stripe, creator, CONNECT_SECRET);
    expect(second).not.toBe(first);
    await drained(t);
    expect(routing(running)).toEqual(running.map(() => [second, 10]));
    for (const id of running) {
      const last = updatesOf(id).at(-1)!;
      expect(last.body).toEqual({ transfer_data: { destination: second }, application_fee_percent: '10' });
      expect(last.idempotencyKey).toBe(`x18-route:${id}:platform:${second}`);
    }
    expect(await destinations(running)).toEqual(running.map(() => second));
    const resumed = await renewed(active);
    expect(resumed.intent.transfer_data).toEqual({ destination: second });
    expect(await payment(creator, resumed.invoice.id)).toEqual([{ gross_cents: 500, fee_cents: 50, net_cents: 450 }]);

    // A fan who subscribes after the reconnection is routed by checkout; nothing updates their subscription.
    const late = await subscribed(await createSignedInUser(t), creator);
    expect(routing([late])).toEqual([[second, 10]]);

    // Replays after the reconnection: the new account's account.updated again, and the old account's deauthorization
    // arriving late (another event for it) must not unroute the new account's subscriptions.
    const settled = stripe.requestsTo('POST', /^\/v1\/subscriptions\//).length;
    await appliedConnect(accountUpdated(stripe.connect.account(second)));
    await appliedConnect(accountDeauthorized(first));
    await drained(t);
    expect(stripe.requestsTo('POST', /^\/v1\/subscriptions\//)).toHaveLength(settled);
    expect(routing([...running, late])).toEqual([...running, late].map(() => [second, 10]));
    expect((await as(t, creator).get('/me/payouts').expect(200)).body).toMatchObject({ account_id: second, charges_enabled: true });
  });

  it('routes a creator with more subscribers than a batch, in batches, each once', async () => {
    const creator = await createSignedInUser(t);
    const first = await connectPayouts(t, stripe, creator, CONNECT_SECRET);
    await as(t, creator).patch('/me', { subscription_price_cents: 300 }).expect(200);
    const { ROUTING_BATCH } = await import('@/modules/billing/connect/subscription-routing.service');
    const fans = await Promise.all(Array.from({ length: ROUTING_BATCH + 5 }, () => createSignedInUser(t)));
    const subs: string[] = [];
    for (const fan of fans) {
      const { session, subscription } = await paySubscription(billing, fan, creator);
      await deliver(t, stripeEvent('checkout.session.completed', session)).expect(200);
      subs.push(subscription.id);
    }
    await drained(t);
    expect(await destinations(subs)).toEqual(subs.map(() => first));

    stripe.connect.deauthorize(first);
    await appliedConnect(accountDeauthorized(first));
    await drained(t);
    expect(routing(subs)).toEqual(subs.map(() => [null, null]));
    expect(subs.map((id) => updatesOf(id).length)).toEqual(subs.map(() => 1));
    const batches = await t.sql<{ n: number }>(`select count(*)::int as n from outbox_events where type = 'payouts.routing_changed' and payload->>'creatorId' = ?`, [creator.id]);
    // One event when charges were enabled, then the deauthorization's and its continuation.
    expect(batches[0].n).toBe(3);
  }, 120_000);
});

// Platform-collects mode lets a fan check out while the creator is disconnected; paid after the reconnection, that
// subscription starts unrouted, and is moved to the new account like the others.
describe('Subscription routing, CONNECT_REQUIRED=false: a checkout opened while disconnected and paid after the reconnection', () => {
  const billing: BillingSuite = useBillingApp({ CONNECT_REQUIRED: 'false', STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET, PLATFORM_FEE_PERCENT: '10' });
  const { t, stripe } = billing;

  it('routes it to the new account', async () => {
    const [creator, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const first = await connectPayouts(t, stripe, creator, CONNECT_SECRET);
    await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
    stripe.connect.deauthorize(first);
    await deliverApplied(t, accountDeauthorized(first), CONNECT_SECRET);

    const started = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
    expect(stripe.checkoutParams(started.body.checkout_session_id).subscription_data.transfer_data).toBeUndefined();
    const second = await connectPayouts(t, stripe, creator, CONNECT_SECRET);
    await drained(t);

    const { session, subscription } = stripe.completeCheckout(started.body.checkout_session_id);
    expect(subscription!.transfer_data).toBeNull();
    await appliedTo(t, stripeEvent('checkout.session.completed', session));
    await drained(t);
    expect([stripe.subscription(subscription!.id).transfer_data?.destination, stripe.subscription(subscription!.id).application_fee_percent]).toEqual([second, 10]);
    expect(stripe.requestsTo('POST', `/v1/subscriptions/${subscription!.id}`)).toHaveLength(1);
  });
});

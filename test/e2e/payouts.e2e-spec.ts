import Stripe from 'stripe';
import { expectProblem, ISO_UTC } from '../factories/http';
import { accountDeauthorized, accountUpdated, connectPayouts, deliverApplied } from '../factories/payouts';
import { as, createPost } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { useBillingApp } from '../support/billing';
import { deliver, sign, stripeEvent, WEBHOOK_PATH } from '../support/stripe-events';
import { nowSeconds, StripeObject } from '../support/stripe-server';
import { waitFor } from '../support/wait';
import { seededRandom, shuffle } from '../support/seeded-random';

/** The Connect endpoint's signing secret: account events come signed with it. */
const CONNECT_SECRET = 'whsec_x18_local_connect_secret';
const APP_URL = 'https://app.example.test';

interface PayoutsBody {
  account_id: string;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  requirements_due: string[];
}

// Both modes: with CONNECT_REQUIRED=true prices and checkouts need a connected account; with false the platform
// collects for creators who have none, and a connected creator is still paid through Connect.
describe.each(['false', 'true'] as const)('Creator payouts (Stripe Connect), CONNECT_REQUIRED=%s', (mode) => {
  const required = mode === 'true';
  const { t, stripe } = useBillingApp({
    CONNECT_REQUIRED: mode,
    STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET,
    APP_URL,
    // Not the default, so the fee's percentage and its rounding are visible: 300 cents at 12.5% is 37.5, so 38.
    PLATFORM_FEE_PERCENT: '12.5',
  });

  const payouts = async (user: SignedInUser) => (await as(t, user).get('/me/payouts').expect(200)).body as PayoutsBody;
  /** Delivered from the Connect endpoint (its own secret) and applied by a worker. */
  const applied = (event: StripeObject) => deliverApplied(t, event, CONNECT_SECRET);
  const connect = (user: SignedInUser) => connectPayouts(t, stripe, user, CONNECT_SECRET);
  const accountsCreatedFor = (user: SignedInUser) =>
    stripe.requestsTo('POST', '/v1/accounts').filter((r) => r.body.metadata?.user_id === user.id && r.idempotencyKey);
  const expectPayoutsRefused = (res: Parameters<typeof expectProblem>[0]) => {
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors).toEqual([{ field: 'payouts', message: expect.any(String) }]);
  };

  describe('onboarding', () => {
    it('creates the Express account once, answers a fresh link each time, and keeps the status from account.updated', async () => {
      const creator = await createSignedInUser(t);
      expectProblem(await as(t, creator).get('/me/payouts'), 404, 'not_found');

      const first = await as(t, creator).post('/me/payouts/onboarding').expect(201);
      expect(first.body).toEqual({ url: expect.stringMatching(/^https:\/\/connect\.stripe\.com\//), expires_at: expect.stringMatching(ISO_UTC) });
      expect(new Date(first.body.expires_at).getTime()).toBeGreaterThan(Date.now());
      const [created] = accountsCreatedFor(creator);
      expect(created.body).toEqual({
        type: 'express',
        email: creator.email,
        metadata: { user_id: creator.id },
        capabilities: { card_payments: { requested: 'true' }, transfers: { requested: 'true' } },
      });
      const [account] = stripe.connect.accountsOf(creator.id);
      expect(stripe.connect.links.at(-1)).toEqual({
        account: account.id,
        type: 'account_onboarding',
        return_url: `${APP_URL}/payouts/return`,
        refresh_url: `${APP_URL}/payouts/refresh`,
        url: first.body.url,
      });
      expect(await payouts(creator)).toEqual({
        account_id: account.id,
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
        requirements_due: account.requirements.currently_due,
      });

      // Later calls (a creator who left the form, an expired link) reuse the account: a new link only.
      const again = await as(t, creator).post('/me/payouts/onboarding').expect(201);
      expect(again.body.url).not.toBe(first.body.url);
      expect(stripe.connect.accountsOf(creator.id)).toHaveLength(1);
      expect(stripe.connect.links.filter((l) => l.account === account.id)).toHaveLength(2);

      // The creator submits the form; Stripe still verifies, then enables charges and payouts.
      await applied(accountUpdated(stripe.connect.updateAccount(account.id, { details_submitted: true, currently_due: ['external_account'] })));
      expect(await payouts(creator)).toMatchObject({ details_submitted: true, charges_enabled: false, requirements_due: ['external_account'] });
      await applied(accountUpdated(stripe.connect.completeOnboarding(account.id)));
      expect(await payouts(creator)).toEqual({
        account_id: account.id,
        charges_enabled: true,
        payouts_enabled: true,
        details_submitted: true,
        requirements_due: [],
      });
      await as(t).get('/me/payouts').expect(401);
    });

    it('gives racing first calls one account', async () => {
      const creator = await createSignedInUser(t);
      const answers = await Promise.all(Array.from({ length: 4 }, () => as(t, creator).post('/me/payouts/onboarding')));
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
      expect(stripe.connect.accountsOf(creator.id)).toHaveLength(1);
      const rows = await t.sql<{ stripe_account_id: string }>('select stripe_account_id from payout_accounts where user_id = ?', [creator.id]);
      expect(rows).toEqual([{ stripe_account_id: stripe.connect.accountsOf(creator.id)[0].id }]);
    });

    it("records an account of ours that onboarding created at Stripe but never stored, and onboarding reuses it", async () => {
      const creator = await createSignedInUser(t);
      // As if the process died between Stripe's answer and the insert: the account exists at Stripe only.
      const sdk = new Stripe('sk_test_x18_local', { host: '127.0.0.1', port: new URL(stripe.url).port, protocol: 'http' });
      const orphan = await sdk.accounts.create({ type: 'express', metadata: { user_id: creator.id } });
      await applied(accountUpdated(stripe.connect.completeOnboarding(orphan.id)));
      expect(await payouts(creator)).toMatchObject({ account_id: orphan.id, charges_enabled: true });
      await as(t, creator).post('/me/payouts/onboarding').expect(201);
      expect(stripe.connect.accountsOf(creator.id)).toHaveLength(1);

      // Someone else's account (not ours, or the platform's own) changes nothing.
      const stranger = await sdk.accounts.create({ type: 'express', metadata: {} });
      await applied(accountUpdated(stripe.connect.account(stranger.id)));
      expect((await t.sql('select 1 from payout_accounts where stripe_account_id = ?', [stranger.id])).length).toBe(0);
    });
  });

  describe('prices', () => {
    it(required ? 'are refused before charges_enabled and accepted after' : 'need no connected account in platform-collects mode', async () => {
      const creator = await createSignedInUser(t);
      await as(t, creator).post('/posts', { content: 'subscribers only', is_premium: true }).expect(201);
      if (!required) {
        await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
        await as(t, creator).post('/posts', { content: 'pay to see', price_cents: 300 }).expect(201);
        return;
      }
      expectPayoutsRefused(await as(t, creator).patch('/me', { subscription_price_cents: 500 }));
      expectPayoutsRefused(await as(t, creator).post('/posts', { content: 'pay to see', price_cents: 300 }));
      // Onboarding started, not finished: still refused.
      await as(t, creator).post('/me/payouts/onboarding').expect(201);
      const [account] = stripe.connect.accountsOf(creator.id);
      await applied(accountUpdated(stripe.connect.updateAccount(account.id, { details_submitted: true, currently_due: ['external_account'] })));
      expectPayoutsRefused(await as(t, creator).patch('/me', { subscription_price_cents: 500 }));
      // Nothing was created at Stripe for a refused price, and the profile kept no half-change.
      expect(stripe.requestsTo('POST', '/v1/products').filter((r) => r.body.metadata?.creator_id === creator.id)).toHaveLength(0);
      expect((await as(t, creator).get('/me').expect(200)).body.subscription_price_cents).toBeNull();
      // Taking a price away never needs an account.
      await as(t, creator).patch('/me', { subscription_price_cents: null }).expect(200);

      await applied(accountUpdated(stripe.connect.completeOnboarding(account.id)));
      expect((await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200)).body.subscription_price_cents).toBe(500);
      await as(t, creator).post('/posts', { content: 'pay to see', price_cents: 300 }).expect(201);
    });
  });

  describe('checkout', () => {
    it("carries the creator's account and the platform fee, for a subscription and an unlock", async () => {
      const [creator, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
      const destination = await connect(creator);
      await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
      const post = await createPost(t, creator, { content: 'the goods', price_cents: 300 });

      const subscription = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
      expect(stripe.checkoutParams(subscription.body.checkout_session_id).subscription_data).toEqual({
        metadata: { creator_id: creator.id, subscriber_id: fan.id },
        application_fee_percent: '12.5',
        transfer_data: { destination },
      });
      const unlock = await as(t, fan).post(`/posts/${post.id}/unlock`).expect(201);
      expect(stripe.checkoutParams(unlock.body.checkout_session_id).payment_intent_data).toEqual({
        metadata: { post_id: post.id, user_id: fan.id },
        application_fee_amount: '38',
        transfer_data: { destination },
      });
    });

    if (!required) {
      it('lets the platform collect for a creator without a connected account', async () => {
        const [creator, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
        await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
        const post = await createPost(t, creator, { content: 'the goods', price_cents: 300 });
        const subscription = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
        expect(stripe.checkoutParams(subscription.body.checkout_session_id).subscription_data).toEqual({
          metadata: { creator_id: creator.id, subscriber_id: fan.id },
        });
        const unlock = await as(t, fan).post(`/posts/${post.id}/unlock`).expect(201);
        expect(stripe.checkoutParams(unlock.body.checkout_session_id).payment_intent_data).toEqual({ metadata: { post_id: post.id, user_id: fan.id } });
      });
    }
  });

  describe('deauthorization', () => {
    it('keeps prices, stops routing to the account (new checkouts refused when required), and reconnecting makes a new account', async () => {
      const [creator, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
      const first = await connect(creator);
      await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
      const post = await createPost(t, creator, { content: 'the goods', price_cents: 300 });

      stripe.connect.deauthorize(first);
      await applied(accountDeauthorized(first));
      expect(await payouts(creator)).toEqual({
        account_id: first,
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: true,
        requirements_due: [],
      });
      // A late account.updated of the old account (Stripe no longer lets us read it) changes nothing.
      await applied(accountUpdated(stripe.connect.account(first), { created: nowSeconds() - 60 }));
      expect((await payouts(creator)).charges_enabled).toBe(false);

      expect((await as(t, creator).get('/me').expect(200)).body.subscription_price_cents).toBe(500);
      expect((await as(t, fan).get(`/posts/${post.id}`).expect(200)).body.price_cents).toBe(300);
      if (required) {
        expectPayoutsRefused(await as(t, fan).post(`/users/${creator.username}/subscription`));
        expectPayoutsRefused(await as(t, fan).post(`/posts/${post.id}/unlock`));
        expectPayoutsRefused(await as(t, creator).patch('/me', { subscription_price_cents: 600 }));
      } else {
        const started = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
        expect(stripe.checkoutParams(started.body.checkout_session_id).subscription_data.transfer_data).toBeUndefined();
      }

      const second = await connect(creator);
      expect(second).not.toBe(first);
      expect(stripe.connect.accountsOf(creator.id).map((a) => a.id)).toEqual([second, first]);
      expect(await payouts(creator)).toMatchObject({ account_id: second, charges_enabled: true });
      const unlock = await as(t, fan).post(`/posts/${post.id}/unlock`).expect(201);
      expect(stripe.checkoutParams(unlock.body.checkout_session_id).payment_intent_data.transfer_data).toEqual({ destination: second });
    });
  });

  describe('account events', () => {
    it('apply once when duplicated and shuffled, and the newest state at Stripe wins', async () => {
      const creator = await createSignedInUser(t);
      await as(t, creator).post('/me/payouts/onboarding').expect(201);
      const [{ id }] = stripe.connect.accountsOf(creator.id);
      // Four states in order, each with the event Stripe sent for it (the payload is the state of that moment).
      const events = [
        accountUpdated(stripe.connect.updateAccount(id, { details_submitted: true, currently_due: ['external_account'] })),
        accountUpdated(stripe.connect.updateAccount(id, { charges_enabled: true, currently_due: ['external_account'] })),
        accountUpdated(stripe.connect.completeOnboarding(id)),
        // Stripe asks for more later: charges are disabled again. This is the newest state.
        accountUpdated(stripe.connect.updateAccount(id, { charges_enabled: false, payouts_enabled: false, currently_due: ['individual.verification.document'] })),
      ];
      const seed = Date.now();
      const deliveries = shuffle([...events, ...events, events[2], events[1]], seededRandom(seed));
      const answers = await Promise.all(deliveries.map((event) => deliver(t, event, { secret: CONNECT_SECRET })));
      expect({ seed, statuses: answers.map((a) => a.status) }).toEqual({ seed, statuses: deliveries.map(() => 200) });

      const stored = await waitFor(
        () =>
          t.sql<{ stripe_event_id: string; attempts: number; processed: boolean }>(
            'select stripe_event_id, attempts, processed_at is not null as processed from stripe_events where stripe_event_id in (?)',
            [events.map((e) => e.id)],
          ),
        (rows) => rows.length === events.length && rows.every((r) => r.processed),
      );
      expect({ seed, stored: stored.map((r) => ({ attempts: r.attempts, processed: r.processed })) }).toEqual({
        seed,
        stored: events.map(() => ({ attempts: 1, processed: true })),
      });
      const newest = { account_id: id, charges_enabled: false, payouts_enabled: false, details_submitted: true, requirements_due: ['individual.verification.document'] };
      expect({ seed, status: await payouts(creator) }).toEqual({ seed, status: newest });

      // The enabling event once more, after everything: Stripe is read again, and still says disabled.
      await applied(accountUpdated(events[2].data.object, { created: events[2].created }));
      expect(await payouts(creator)).toEqual(newest);
    });
  });

  describe('webhook secrets', () => {
    it('accepts events signed by the platform endpoint or the Connect endpoint, and no other', async () => {
      const event = stripeEvent('customer.created', { id: 'cus_connect_case', object: 'customer' });
      const post = (secret: string) => {
        const { payload, signature } = sign(event, { secret });
        return t.http.post(WEBHOOK_PATH).set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(payload);
      };
      expectProblem(await post('whsec_someone_else'), 400, 'validation_failed');
      await post(CONNECT_SECRET).expect(200, { received: true });
      await deliver(t, stripeEvent('customer.created', { id: 'cus_platform_case', object: 'customer' })).expect(200);
    });
  });
});

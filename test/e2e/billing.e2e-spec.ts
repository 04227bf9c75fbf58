import Stripe from 'stripe';
import { expectProblem, ISO_UTC } from '../factories/http';
import { as, createPost, follow, PostBody } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { withTestApp } from '../support/app';
import { applied as appliedTo, creatorAt as creatorAtIn, paySubscription, payUnlock, seller as sellerIn, useBillingApp } from '../support/billing';
import { sign, stripeEnv, stripeEvent, WEBHOOK_PATH, WEBHOOK_SECRET } from '../support/stripe-events';
import { fixture, nowSeconds, StripeObject } from '../support/stripe-server';
import { drained } from '../support/wait';

const DAY = 86_400;

interface SubscriptionRow {
  id: string;
  status: string;
  price_cents: number;
  stripe_subscription_id: string;
  cancel_at_period_end: boolean;
  current_period_end: string;
}

// Both modes: `true` (the default) routes every payment to the creator's connected account, so each creator here is
// onboarded through the real flow first (`seller`); `false` is the platform-collects mode (docs/payouts.md).
describe.each(['false', 'true'] as const)('Billing (Stripe), CONNECT_REQUIRED=%s', (mode) => {
  const required = mode === 'true';
  const billing = useBillingApp({ CONNECT_REQUIRED: mode });
  const { t, stripe } = billing;

  // Billing's own table since the Stripe references left `users` (migration 20261207200000).
  const userRow = async (id: string) =>
    (await t.sql<{ stripe_customer_id: string | null; stripe_product_id: string | null; stripe_price_id: string | null }>(
      `select p.stripe_customer_id, p.stripe_product_id, p.stripe_price_id
         from users u left join billing_profiles p on p.user_id = u.id where u.id = ?`,
      [id],
    ))[0];
  const subscriptionRow = async (fan: SignedInUser, creator: SignedInUser) =>
    (await t.sql<SubscriptionRow>('select * from subscriptions where subscriber_id = ? and creator_id = ?', [fan.id, creator.id]))[0];
  const notes = (user: SignedInUser, type: string) =>
    t.sql<{ from_user_id: string; post_id: string | null }>('select from_user_id, post_id from notifications where user_id = ? and type = ?', [user.id, type]);
  const outboxCount = async (type: string, key: string, value: string) =>
    (await t.sql<{ n: number }>(`select count(*)::int as n from outbox_events where type = ? and payload->>'${key}' = ?`, [type, value]))[0].n;
  const view = (viewer: SignedInUser, postId: string) => as(t, viewer).get(`/posts/${postId}`);
  const locked = async (viewer: SignedInUser, postId: string) => ((await view(viewer, postId).expect(200)).body as PostBody).locked;
  const applied = (event: StripeObject) => appliedTo(t, event);
  const creatorAt = (cents: number) => creatorAtIn(t, cents, stripe);
  const seller = () => sellerIn(t, stripe);
  /** The creator's connected account in `true` mode (a Checkout carries it), none in platform-collects mode. */
  const destinationOf = async (creator: SignedInUser) =>
    (await t.sql<{ stripe_account_id: string }>('select stripe_account_id from payout_accounts where user_id = ? and deauthorized_at is null', [creator.id]))[0]
      ?.stripe_account_id;

  /** Checkout, payment, and Stripe's `checkout.session.completed`, applied. */
  const subscribeThroughCheckout = async (fan: SignedInUser, creator: SignedInUser) => {
    const { session, subscription } = await paySubscription(billing, fan, creator);
    await applied(stripeEvent('checkout.session.completed', session));
    return { sessionId: session.id as string, subscriptionId: subscription.id as string };
  };

  describe('creator prices', () => {
    it('PATCH /me creates the creator product once and a monthly price per amount; null stops new subscriptions', async () => {
      const creator = await creatorAt(500);
      const first = await userRow(creator.id);
      expect(first.stripe_product_id).toMatch(/^prod_/);
      expect(first.stripe_price_id).toMatch(/^price_/);
      const price = stripe.prices.get(first.stripe_price_id!)!;
      expect(price).toMatchObject({ unit_amount: 500, currency: 'usd', product: first.stripe_product_id, recurring: { interval: 'month' } });
      expect(price.metadata).toEqual({ creator_id: creator.id });

      await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
      expect((await userRow(creator.id)).stripe_price_id).toBe(first.stripe_price_id);

      await as(t, creator).patch('/me', { subscription_price_cents: 900 }).expect(200);
      const second = await userRow(creator.id);
      expect(second.stripe_product_id).toBe(first.stripe_product_id);
      expect(second.stripe_price_id).not.toBe(first.stripe_price_id);
      expect(stripe.prices.get(second.stripe_price_id!)!.unit_amount).toBe(900);
      const productsForCreator = [...stripe.products.values()].filter((p) => p.metadata.creator_id === creator.id);
      expect(productsForCreator).toHaveLength(1);

      const fan = await createSignedInUser(t);
      await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
      const sessionRequest = stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!;
      expect(sessionRequest.body.line_items).toEqual([{ price: second.stripe_price_id, quantity: '1' }]);

      const off = await as(t, creator).patch('/me', { subscription_price_cents: null }).expect(200);
      expect(off.body.subscription_price_cents).toBeNull();
      expectProblem(await as(t, fan).post(`/users/${creator.username}/subscription`), 422, 'validation_failed');
    });
  });

  describe('subscriptions', () => {
    it('checks out at the creator price and unlocks subscriber content once the webhook is applied, notifying the creator once', async () => {
      const [creator, fan] = await Promise.all([creatorAt(700), createSignedInUser(t)]);
      const premium = await createPost(t, creator, { content: 'for subscribers', is_premium: true, preview: 'teaser' });
      const membersOnly = await createPost(t, creator, { content: 'members only', visibility: 'subscribers' });
      expect(await view(fan, premium.id).expect(200)).toMatchObject({ body: { locked: true, content: null, preview: 'teaser' } });
      await view(fan, membersOnly.id).expect(404);

      const started = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
      expect(started.body).toEqual({ checkout_url: expect.stringMatching(/^https:\/\//), checkout_session_id: expect.stringMatching(/^cs_test_/) });
      const customer = (await userRow(fan.id)).stripe_customer_id;
      expect(customer).toMatch(/^cus_/);
      const request = stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!;
      expect(request.body).toMatchObject({
        mode: 'subscription',
        customer,
        client_reference_id: fan.id,
        line_items: [{ price: (await userRow(creator.id)).stripe_price_id, quantity: '1' }],
        metadata: { creator_id: creator.id, subscriber_id: fan.id },
        subscription_data: { metadata: { creator_id: creator.id, subscriber_id: fan.id } },
        success_url: 'https://app.example.test/checkout/success',
        cancel_url: 'https://app.example.test/checkout/cancel',
      });
      const destination = await destinationOf(creator);
      expect(!!destination).toBe(required);
      const connect = { application_fee_percent: request.body.subscription_data.application_fee_percent, transfer_data: request.body.subscription_data.transfer_data };
      expect(connect).toEqual(required ? { application_fee_percent: '10', transfer_data: { destination } } : { application_fee_percent: undefined, transfer_data: undefined });
      expect(stripe.sessions.get(started.body.checkout_session_id)).toMatchObject({ amount_total: 700, currency: 'usd' });
      // Paying is not done until Stripe says so.
      expect(await locked(fan, premium.id)).toBe(true);

      const { session, subscription } = stripe.completeCheckout(started.body.checkout_session_id);
      await applied(stripeEvent('checkout.session.completed', session));
      expect(await locked(fan, premium.id)).toBe(false);
      expect((await view(fan, membersOnly.id).expect(200)).body.content).toBe('members only');
      expect((await as(t, fan).get(`/users/${creator.username}`).expect(200)).body.relationship.subscribed).toBe(true);

      // Stripe's own events about the same subscription change nothing more.
      await applied(stripeEvent('customer.subscription.created', subscription!));
      await applied(stripeEvent('invoice.paid', stripe.invoice(subscription!.id, true)));
      await drained(t);
      expect(await notes(creator, 'subscription')).toEqual([{ from_user_id: fan.id, post_id: null }]);
      expect(await outboxCount('subscription.activated', 'subscriberId', fan.id)).toBe(1);

      const row = await subscriptionRow(fan, creator);
      expect(row).toMatchObject({ status: 'active', price_cents: 700, stripe_subscription_id: subscription!.id, cancel_at_period_end: false });
      const mine = (await as(t, fan).get('/me/subscriptions').expect(200)).body;
      expect(mine.data).toEqual([
        {
          id: row.id,
          subscriber: expect.objectContaining({ id: fan.id, username: fan.username }),
          creator: expect.objectContaining({ id: creator.id, username: creator.username }),
          status: 'active',
          price_cents: 700,
          currency: 'usd',
          current_period_start: expect.stringMatching(ISO_UTC),
          current_period_end: expect.stringMatching(ISO_UTC),
          cancel_at_period_end: false,
          // Tiers (docs/billing.md#tiers): the profile's price is the creator's first tier.
          tier: { id: expect.any(String), name: 'Subscription' },
          interval: 'month',
          bundle_months: null,
          offer_code: null,
          trial_end: null,
          gift: false,
          created_at: expect.stringMatching(ISO_UTC),
        },
      ]);
      expect((await as(t, creator).get('/me/subscribers').expect(200)).body.data.map((s: { id: string }) => s.id)).toEqual([row.id]);

      expectProblem(await as(t, fan).post(`/users/${creator.username}/subscription`), 409, 'conflict');
    });

    it('ignores an older customer.subscription.updated that arrives after a newer one', async () => {
      const [creator, fan] = await Promise.all([creatorAt(500), createSignedInUser(t)]);
      const { subscriptionId } = await subscribeThroughCheckout(fan, creator);
      const stale = stripe.subscription(subscriptionId);

      const renewedEnd = nowSeconds() + 60 * DAY;
      const newer = stripe.updateSubscription(subscriptionId, { cancel_at_period_end: true, periodEnd: renewedEnd });
      await applied(stripeEvent('customer.subscription.updated', newer, { created: nowSeconds() }));
      const after = await subscriptionRow(fan, creator);
      expect(after).toMatchObject({ status: 'active', cancel_at_period_end: true });
      expect(new Date(after.current_period_end).getTime()).toBe(renewedEnd * 1000);

      // Delivered late: an event from before, whose object still says incomplete and not cancelling.
      await applied(stripeEvent('customer.subscription.updated', { ...stale, status: 'incomplete' }, { created: nowSeconds() - 120 }));
      const later = await subscriptionRow(fan, creator);
      expect(later).toMatchObject({ status: 'active', cancel_at_period_end: true });
      expect(new Date(later.current_period_end).getTime()).toBe(renewedEnd * 1000);
    });

    it('cancels at the period end keeping access, and customer.subscription.deleted ends access', async () => {
      const [creator, fan] = await Promise.all([creatorAt(500), createSignedInUser(t)]);
      const premium = await createPost(t, creator, { content: 'premium', is_premium: true });
      const { subscriptionId } = await subscribeThroughCheckout(fan, creator);

      const cancelled = await as(t, fan).delete(`/users/${creator.username}/subscription`).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'active', cancel_at_period_end: true, creator: { id: creator.id }, subscriber: { id: fan.id } });
      expect(stripe.requestsTo('POST', `/v1/subscriptions/${subscriptionId}`).at(-1)!.body).toEqual({ cancel_at_period_end: 'true' });
      expect(await locked(fan, premium.id)).toBe(false);

      const ended = stripe.updateSubscription(subscriptionId, { status: 'canceled', ended_at: nowSeconds() });
      await applied(stripeEvent('customer.subscription.deleted', ended));
      expect(await locked(fan, premium.id)).toBe(true);
      expect((await subscriptionRow(fan, creator)).status).toBe('canceled');
      expectProblem(await as(t, fan).delete(`/users/${creator.username}/subscription`), 404, 'not_found');
    });

    it('keeps a past_due subscriber in for PAST_DUE_GRACE_DAYS after the period end, and not after', async () => {
      const [creator, fan] = await Promise.all([creatorAt(500), createSignedInUser(t)]);
      const premium = await createPost(t, creator, { content: 'premium', is_premium: true });
      const { subscriptionId } = await subscribeThroughCheckout(fan, creator);
      expect(t.config.billing.pastDueGraceDays).toBe(3);

      // The renewal failed a day ago: Stripe marks the subscription past_due and retries.
      stripe.updateSubscription(subscriptionId, { status: 'past_due', periodStart: nowSeconds() - 31 * DAY, periodEnd: nowSeconds() - DAY });
      await applied(stripeEvent('invoice.payment_failed', stripe.invoice(subscriptionId, false)));
      expect((await subscriptionRow(fan, creator)).status).toBe('past_due');
      expect(await locked(fan, premium.id)).toBe(false);

      // Four days after the period end, still unpaid: beyond the grace period.
      const beyond = stripe.updateSubscription(subscriptionId, { periodStart: nowSeconds() - 34 * DAY, periodEnd: nowSeconds() - 4 * DAY });
      await applied(stripeEvent('customer.subscription.updated', beyond));
      expect(await locked(fan, premium.id)).toBe(true);

      // Paid at last: a new period, active again; a recovery is not a new subscription to notify about.
      stripe.updateSubscription(subscriptionId, { status: 'active', periodStart: nowSeconds(), periodEnd: nowSeconds() + 30 * DAY });
      await applied(stripeEvent('invoice.paid', stripe.invoice(subscriptionId, true)));
      expect((await subscriptionRow(fan, creator)).status).toBe('active');
      expect(await locked(fan, premium.id)).toBe(false);
      await drained(t);
      expect(await notes(creator, 'subscription')).toHaveLength(1);
    });

    it('answers 422 for yourself or a creator without a price, 404 for an unknown creator, 404 when cancelling nothing', async () => {
      const [creator, fan, noPrice] = await Promise.all([creatorAt(500), createSignedInUser(t), createSignedInUser(t)]);
      expectProblem(await as(t, creator).post(`/users/${creator.username}/subscription`), 422, 'validation_failed');
      expectProblem(await as(t, fan).post(`/users/${noPrice.username}/subscription`), 422, 'validation_failed');
      expectProblem(await as(t, fan).post('/users/nobody_here_at_all/subscription'), 404, 'not_found');
      expectProblem(await as(t, fan).delete(`/users/${creator.username}/subscription`), 404, 'not_found');
      await as(t).post(`/users/${creator.username}/subscription`).expect(401);
    });
  });

  describe('pay-per-view', () => {
    it('checks out the post price, unlocks it once the webhook is applied, notifies the author once, and a refund locks it again', async () => {
      const [author, buyer] = await Promise.all([seller(), createSignedInUser(t)]);
      const post = await createPost(t, author, { content: 'the secret', price_cents: 300, preview: 'buy me' });
      expect(await view(buyer, post.id).expect(200)).toMatchObject({ body: { locked: true, content: null, preview: 'buy me', price_cents: 300 } });

      const started = await as(t, buyer).post(`/posts/${post.id}/unlock`).expect(201);
      expect(started.body.checkout_session_id).toMatch(/^cs_test_/);
      const request = stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!;
      expect(request.body).toMatchObject({
        mode: 'payment',
        customer: (await userRow(buyer.id)).stripe_customer_id,
        client_reference_id: buyer.id,
        metadata: { post_id: post.id },
        payment_intent_data: { metadata: { post_id: post.id, user_id: buyer.id } },
        line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '300' } }],
      });
      const destination = await destinationOf(author);
      expect(stripe.checkoutParams(started.body.checkout_session_id).payment_intent_data).toEqual({
        metadata: { post_id: post.id, user_id: buyer.id },
        // 10% of 300 cents.
        ...(required ? { application_fee_amount: '30', transfer_data: { destination } } : {}),
      });
      expect(stripe.sessions.get(started.body.checkout_session_id)!.amount_total).toBe(300);
      expect(await locked(buyer, post.id)).toBe(true);

      const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
      const completed = stripeEvent('checkout.session.completed', session);
      await applied(completed);
      const opened = (await view(buyer, post.id).expect(200)).body as PostBody;
      expect(opened).toMatchObject({ locked: false, content: 'the secret' });

      // The same event again (Stripe retries deliveries): nothing more.
      await applied(completed);
      await drained(t);
      const unlocks = await t.sql<{ status: string; price_cents: number; stripe_payment_intent_id: string }>(
        'select status, price_cents, stripe_payment_intent_id from post_unlocks where user_id = ? and post_id = ?',
        [buyer.id, post.id],
      );
      expect(unlocks).toEqual([{ status: 'paid', price_cents: 300, stripe_payment_intent_id: paymentIntent!.id }]);
      expect(await notes(author, 'post_unlocked')).toEqual([{ from_user_id: buyer.id, post_id: post.id }]);
      expect(await outboxCount('post.unlocked', 'postId', post.id)).toBe(1);
      expect((await t.sql<{ n: number }>('select count(*)::int as n from stripe_events where stripe_event_id = ?', [completed.id]))[0].n).toBe(1);
      expectProblem(await as(t, buyer).post(`/posts/${post.id}/unlock`), 409, 'conflict');

      await applied(stripeEvent('charge.refunded', stripe.refund(paymentIntent!.id)));
      expect(await locked(buyer, post.id)).toBe(true);
      expect((await t.sql<{ status: string }>('select status from post_unlocks where user_id = ? and post_id = ?', [buyer.id, post.id]))[0].status).toBe('refunded');
    });

    it('keeps a purchase refunded when the refund arrives before the checkout event', async () => {
      const [author, buyer] = await Promise.all([seller(), createSignedInUser(t)]);
      const post = await createPost(t, author, { content: 'paid', price_cents: 200 });
      const { session, paymentIntent } = await payUnlock(billing, buyer, post.id);
      await applied(stripeEvent('charge.refunded', stripe.refund(paymentIntent.id)));
      await applied(stripeEvent('checkout.session.completed', session));
      expect(await locked(buyer, post.id)).toBe(true);
    });

    it('answers 422 for your own post or a post without a price, 404 for a post you cannot see', async () => {
      const [author, buyer] = await Promise.all([seller(), createSignedInUser(t)]);
      const priced = await createPost(t, author, { content: 'priced', price_cents: 500 });
      const free = await createPost(t, author, { content: 'free' });
      const hidden = await createPost(t, author, { content: 'followers', visibility: 'followers', price_cents: 500 });
      expectProblem(await as(t, author).post(`/posts/${priced.id}/unlock`), 422, 'validation_failed');
      expectProblem(await as(t, buyer).post(`/posts/${free.id}/unlock`), 422, 'validation_failed');
      expectProblem(await as(t, buyer).post(`/posts/${hidden.id}/unlock`), 404, 'not_found');
      await follow(t, buyer, author);
      await as(t, buyer).post(`/posts/${hidden.id}/unlock`).expect(201);
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a repeated checkout with the first session and sends the key to Stripe, scoped to the caller', async () => {
      const [creator, fan] = await Promise.all([creatorAt(500), createSignedInUser(t)]);
      const before = stripe.requestsTo('POST', '/v1/checkout/sessions').length;
      const first = await as(t, fan).post(`/users/${creator.username}/subscription`).set('Idempotency-Key', 'sub-try-1').expect(201);
      const again = await as(t, fan).post(`/users/${creator.username}/subscription`).set('Idempotency-Key', 'sub-try-1').expect(201);
      expect(again.body).toEqual(first.body);
      const sent = stripe.requestsTo('POST', '/v1/checkout/sessions').slice(before);
      expect(sent.map((r) => r.idempotencyKey)).toEqual([`${fan.id}:sub-try-1`]);

      const post = await createPost(t, creator, { content: 'ppv', price_cents: 400 });
      await as(t, fan).post(`/posts/${post.id}/unlock`).set('Idempotency-Key', 'unlock-try-1').expect(201);
      expect(stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.idempotencyKey).toBe(`${fan.id}:unlock-try-1`);
      // The customer is created once, under a key of its own.
      expect(stripe.requestsTo('POST', '/v1/customers').filter((r) => r.body.metadata?.user_id === fan.id)).toHaveLength(1);
    });
  });

  describe('Stripe failures', () => {
    it('answers problem+json, never 500: declined 402, refused 422, Stripe error 502', async () => {
      const [creator, fan] = await Promise.all([creatorAt(500), createSignedInUser(t)]);
      const path = /^POST \/v1\/checkout\/sessions$/;
      stripe.failNext(path, 402, { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' });
      expectProblem(await as(t, fan).post(`/users/${creator.username}/subscription`), 402, 'payment_required');
      stripe.failNext(path, 400, { type: 'invalid_request_error', code: 'parameter_invalid_empty' });
      expectProblem(await as(t, fan).post(`/users/${creator.username}/subscription`), 422, 'validation_failed');
      stripe.failNext(path, 500, { type: 'api_error' });
      expectProblem(await as(t, fan).post(`/users/${creator.username}/subscription`), 502, 'bad_gateway');
      await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
    });

    it('answers 503 when Stripe cannot be reached, and when Stripe is not configured', async () => {
      await withTestApp({ env: { ...stripeEnv(stripe), STRIPE_API_BASE: 'http://127.0.0.1:1', CONNECT_REQUIRED: mode } }, async (unreachable) => {
        const [creator, fan] = await Promise.all([createSignedInUser(unreachable), createSignedInUser(unreachable)]);
        await unreachable.sql('update users set subscription_price_cents = 500 where id = ?', [creator.id]);
        // Connected while Stripe could be reached (the account as the webhook left it).
        await unreachable.sql(
          `insert into payout_accounts (id, user_id, stripe_account_id, charges_enabled, payouts_enabled, details_submitted, requirements_due)
           values (gen_random_uuid(), ?, ?, true, true, true, '[]')`,
          [creator.id, `acct_${creator.id.replace(/-/g, '')}`],
        );
        expectProblem(await as(unreachable, fan).post(`/users/${creator.username}/subscription`), 503, 'service_unavailable');
      });
      await withTestApp({ env: { CONNECT_REQUIRED: mode } }, async (unconfigured) => {
        const [creator, fan] = await Promise.all([createSignedInUser(unconfigured), createSignedInUser(unconfigured)]);
        // Without Stripe a price is only stored (platform-collects mode: with Connect required, no account can be
        // connected, so none); checkout and webhooks are unavailable.
        if (required) {
          const refused = await as(unconfigured, creator).patch('/me', { subscription_price_cents: 500 });
          expectProblem(refused, 422, 'validation_failed');
          expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'payouts' })]);
          await unconfigured.sql('update users set subscription_price_cents = 500 where id = ?', [creator.id]);
        } else {
          await as(unconfigured, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
        }
        expectProblem(await as(unconfigured, fan).post(`/users/${creator.username}/subscription`), 503, 'service_unavailable');
        const { payload, signature } = sign(stripeEvent('plan.created', {}));
        const res = await unconfigured.http.post(WEBHOOK_PATH).set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(payload);
        expectProblem(res, 503, 'service_unavailable');
      });
    });
  });

  describe('webhook', () => {
    const stored = async (eventId: string) =>
      (await t.sql<{ n: number }>('select count(*)::int as n from stripe_events where stripe_event_id = ?', [eventId]))[0].n;

    it('refuses a missing, forged, stale or tampered signature with 400 and stores nothing', async () => {
      const event = stripeEvent('customer.created', { id: 'cus_x', object: 'customer' });
      const { payload, signature } = sign(event);
      const post = () => t.http.post(WEBHOOK_PATH).set('Content-Type', 'application/json');

      expectProblem(await post().send(payload), 400, 'validation_failed');
      expectProblem(await post().set('Stripe-Signature', sign(event, { secret: 'whsec_someone_else' }).signature).send(payload), 400, 'validation_failed');
      expectProblem(await post().set('Stripe-Signature', sign(event, { timestamp: nowSeconds() - 301 }).signature).send(payload), 400, 'validation_failed');
      expectProblem(await post().set('Stripe-Signature', signature).send(payload.replace('cus_x', 'cus_y')), 400, 'validation_failed');
      expectProblem(await post().set('Stripe-Signature', 'garbage').send(payload), 400, 'validation_failed');
      expect(await stored(event.id)).toBe(0);

      await post().set('Stripe-Signature', signature).send(payload).expect(200, { received: true });
      expect(await stored(event.id)).toBe(1);
    });

    it('stores and acknowledges event types it does not act on', async () => {
      await applied(stripeEvent('plan.created', fixture('event').data.object));
    });

    it('checks the signature on the exact bytes received (Stripe pretty-prints its payloads)', async () => {
      const event = stripeEvent('customer.created', { id: 'cus_z', object: 'customer' });
      const payload = JSON.stringify(event, null, 2);
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
      await t.http.post(WEBHOOK_PATH).set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(payload).expect(200);
      expect(await stored(event.id)).toBe(1);
    });
  });
});

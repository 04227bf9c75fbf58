import { expectProblem, ISO_UTC } from '../factories/http';
import { as } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, creatorAt as creatorAtIn, useBillingApp } from '../support/billing';
import { stripeEvent } from '../support/stripe-events';
import { StripeObject } from '../support/stripe-server';

const DAY_MS = 86_400_000;

/**
 * Bundles (docs/billing.md#bundles): the set (`PUT /me/bundles`) and its validation, shown with the tiers; a checkout
 * of a 6-month bundle at `6 × monthly × (1 − discount)` on a Stripe price renewing every 6 months; the subscription's
 * `bundle_months` and access; MRR at the bundle's monthly equivalent, and a yearly one at a twelfth.
 */
describe('Bundles', () => {
  const billing = useBillingApp({ CONNECT_REQUIRED: 'false', RATE_LIMIT_POST_CREATE: '1000/1h' });
  const { t, stripe } = billing;
  const creatorAt = (cents: number) => creatorAtIn(t, cents, stripe);
  const applied = (event: StripeObject) => appliedTo(t, event);
  const putBundles = (user: SignedInUser, bundles: unknown) =>
    t.http.put('/api/v1/me/bundles').set('Authorization', `Bearer ${user.accessToken}`).send({ bundles });
  const tiersOf = async (username: string) => (await as(t, undefined).get(`/users/${username}/tiers`).expect(200)).body;
  const earnings = async (user: SignedInUser) => (await as(t, user).get('/me/earnings').expect(200)).body as { active_subscribers: number; mrr_cents: number };
  const subscribeTo = async (fan: SignedInUser, creator: SignedInUser, body: Record<string, unknown>) => {
    const started = await as(t, fan).post(`/users/${creator.username}/subscription`, body).expect(201);
    const { session, subscription } = stripe.completeCheckout(started.body.checkout_session_id);
    await applied(stripeEvent('checkout.session.completed', session));
    return { sessionId: started.body.checkout_session_id as string, subscriptionId: subscription!.id as string };
  };

  it('replaces the set (by months), shows it with the tiers, and validates it', async () => {
    const creator = await creatorAt(1000);
    expect((await tiersOf(creator.username)).bundles).toEqual([]);
    const set = await putBundles(creator, [
      { months: 12, discount_percent: 30 },
      { months: 3, discount_percent: 10 },
    ]).expect(200);
    expect(set.body).toEqual({ bundles: [{ months: 3, discount_percent: 10 }, { months: 12, discount_percent: 30 }] });
    expect((await tiersOf(creator.username)).bundles).toEqual(set.body.bundles);
    // Replaced whole.
    expect((await putBundles(creator, [{ months: 6, discount_percent: 20 }]).expect(200)).body).toEqual({ bundles: [{ months: 6, discount_percent: 20 }] });
    expect((await tiersOf(creator.username)).bundles).toEqual([{ months: 6, discount_percent: 20 }]);

    for (const bundles of [
      [{ months: 2, discount_percent: 10 }],
      [{ months: 6, discount_percent: 0 }],
      [{ months: 6, discount_percent: 51 }],
      [{ months: 6, discount_percent: 10.5 }],
      [{ months: 6, discount_percent: 10 }, { months: 6, discount_percent: 20 }],
      [{ months: 6 }],
      'six',
    ]) {
      const res = await putBundles(creator, bundles);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    // Two of one length: a body the document calls valid (it cannot say "distinct by months"), refused with 422.
    expectProblem(await putBundles(creator, [{ months: 6, discount_percent: 20 }, { months: 6, discount_percent: 30 }]), 422, 'validation_failed');
    expect(
    (await t.http.put('/api/v1/me/bundles').set('Authorization', `Bearer ${creator.accessToken}`).send({ bundles: [{ months: 6, discount_percent: 20, extra: 1 }] })).status,
    ).toBe(400);
    expectProblem(await t.http.put('/api/v1/me/bundles').send({ bundles: [] }), 401, 'unauthorized');
    expect((await tiersOf(creator.username)).bundles).toEqual([{ months: 6, discount_percent: 20 }]);
    expect((await putBundles(creator, []).expect(200)).body).toEqual({ bundles: [] });
  });

  it('refuses a bundle the creator does not sell and a bundle with interval year (422), a length that is no bundle (400)', async () => {
    const creator = await creatorAt(1000);
    await putBundles(creator, [{ months: 6, discount_percent: 20 }]).expect(200);
    const fan = await createSignedInUser(t);
    const unknown = await as(t, fan).post(`/users/${creator.username}/subscription`, { bundle_months: 3 });
    expectProblem(unknown, 422, 'validation_failed');
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'bundle_months' })]);
    const yearly = await as(t, fan).post(`/users/${creator.username}/subscription`, { bundle_months: 6, interval: 'year' });
    expectProblem(yearly, 422, 'validation_failed');
    expect(yearly.body.errors).toEqual([expect.objectContaining({ field: 'bundle_months' })]);
    expectProblem(await as(t, fan).post(`/users/${creator.username}/subscription`, { bundle_months: 5 }), 400, 'validation_failed');
  });

  it('checks out a 6-month bundle at 6 x monthly x (1 - discount), renewing every 6 months; bundle_months, access and MRR follow', async () => {
    const creator = await creatorAt(999);
    await putBundles(creator, [{ months: 6, discount_percent: 15 }]).expect(200);
    const post = (await as(t, creator).post('/posts', { content: 'for subscribers', is_premium: true, preview: 'teaser' }).expect(201)).body;
    const fan = await createSignedInUser(t);
    expect((await as(t, fan).get(`/posts/${post.id}`).expect(200)).body.locked).toBe(true);

    const { sessionId } = await subscribeTo(fan, creator, { bundle_months: 6 });
    // 6 x 999 x 0.85 = 5094.9: 5095 cents.
    const price = stripe.prices.get(stripe.checkoutParams(sessionId).line_items[0].price)!;
    expect(price).toMatchObject({ unit_amount: 5095, recurring: { interval: 'month', interval_count: 6 } });
    expect(price.metadata).toMatchObject({ creator_id: creator.id, bundle_months: '6' });

    const [mine] = (await as(t, fan).get('/me/subscriptions').expect(200)).body.data;
    expect(mine).toMatchObject({ status: 'active', interval: 'month', bundle_months: 6, price_cents: 5095, current_period_end: expect.stringMatching(ISO_UTC) });
    // One period is the bundle's length (the local Stripe server counts a month as 30 days), and so is each renewal.
    const period = new Date(mine.current_period_end).getTime() - new Date(mine.current_period_start).getTime();
    expect(period).toBe(180 * DAY_MS);
    expect((await as(t, fan).get(`/posts/${post.id}`).expect(200)).body.locked).toBe(false);

    // MRR: the bundle at its price per month, 5095 / 6 = 849.17: 849.
    expect(await earnings(creator)).toMatchObject({ active_subscribers: 1, mrr_cents: 849 });

    // A second checkout of the same bundle reuses the price.
    const other = await createSignedInUser(t);
    const again = await subscribeTo(other, creator, { bundle_months: 6 });
    expect(stripe.checkoutParams(again.sessionId).line_items[0].price).toBe(price.id);
    expect(await earnings(creator)).toMatchObject({ active_subscribers: 2, mrr_cents: 1698 });
  });

  it('counts a yearly subscription at a twelfth in MRR', async () => {
    const creator = await creatorAt(1000);
    const gold = (await as(t, creator).post('/me/tiers', { name: 'Gold', monthly_price_cents: 1500, yearly_price_cents: 15000 }).expect(201)).body;
    const [yearly, monthly] = [await createSignedInUser(t), await createSignedInUser(t)];
    await subscribeTo(yearly, creator, { tier_id: gold.id, interval: 'year' });
    expect(await earnings(creator)).toMatchObject({ active_subscribers: 1, mrr_cents: 1250 });
    await subscribeTo(monthly, creator, {});
    expect(await earnings(creator)).toMatchObject({ active_subscribers: 2, mrr_cents: 2250 });
  });
});

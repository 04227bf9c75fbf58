import { expectProblem, ISO_UTC } from '../factories/http';
import { as, subscribe } from '../factories/posts';
import { createSignedInUser, PASSWORD, SignedInUser } from '../factories/users';
import { applied as appliedTo, creatorAt as creatorAtIn, seller as sellerIn, useBillingApp } from '../support/billing';
import { stripeEvent } from '../support/stripe-events';
import { nowSeconds, StripeObject } from '../support/stripe-server';
import { drained } from '../support/wait';

interface TierBody {
  id: string;
  name: string;
  description: string | null;
  benefits: string[];
  monthly_price_cents: number;
  yearly_price_cents: number | null;
  currency: string;
  trial_days: number;
  position: number;
  archived: boolean;
  subscribers_count?: number;
}

/**
 * Tiers (docs/billing.md#tiers): CRUD, the limit of 5 (also under concurrency), the first tier as the profile's price,
 * subscribing to a tier (interval, trial), changing tier through Stripe (proration, access following what Stripe
 * confirms, never backwards), tiered posts through the one access policy, archived tiers and third parties.
 */
describe('Tiers', () => {
  const billing = useBillingApp({ CONNECT_REQUIRED: 'true', RATE_LIMIT_POST_CREATE: '1000/1h' });
  const { t, stripe } = billing;
  const seller = () => sellerIn(t, stripe);
  const creatorAt = (cents: number) => creatorAtIn(t, cents, stripe);
  const applied = (event: StripeObject) => appliedTo(t, event);

  const tiersOf = async (username: string, viewer?: SignedInUser): Promise<{ data: TierBody[]; bundles: unknown[] }> =>
    (await as(t, viewer).get(`/users/${username}/tiers`).expect(200)).body;
  const addTier = async (creator: SignedInUser, body: Record<string, unknown>): Promise<TierBody> =>
    (await as(t, creator).post('/me/tiers', { name: 'Gold', monthly_price_cents: 1500, ...body }).expect(201)).body;
  const subscriptionRow = async (fan: SignedInUser, creator: SignedInUser) =>
    (
      await t.sql<{ tier_id: string | null; interval: string; status: string; stripe_subscription_id: string; price_cents: number }>(
        'select tier_id, interval, status, stripe_subscription_id, price_cents from subscriptions where subscriber_id = ? and creator_id = ?',
        [fan.id, creator.id],
      )
    )[0];
  /** Checkout of `body` (a tier, an interval), paid at Stripe, and Stripe's `checkout.session.completed` applied. */
  const subscribeTo = async (fan: SignedInUser, creator: SignedInUser, body: Record<string, unknown> = {}) => {
    const started = await as(t, fan).post(`/users/${creator.username}/subscription`, body).expect(201);
    const { session, subscription } = stripe.completeCheckout(started.body.checkout_session_id);
    await applied(stripeEvent('checkout.session.completed', session));
    return { sessionId: started.body.checkout_session_id as string, subscriptionId: subscription!.id as string };
  };
  const locked = async (viewer: SignedInUser, postId: string): Promise<boolean> => (await as(t, viewer).get(`/posts/${postId}`).expect(200)).body.locked;

  describe('CRUD', () => {
    it('lists the first tier (the profile price) and new ones by position; subscribers_count only in the own view', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, { description: 'More', benefits: ['Weekly video', 'DMs'], yearly_price_cents: 15000, trial_days: 7 });
      expect(gold).toEqual({
        id: expect.any(String),
        name: 'Gold',
        description: 'More',
        benefits: ['Weekly video', 'DMs'],
        monthly_price_cents: 1500,
        yearly_price_cents: 15000,
        currency: 'usd',
        trial_days: 7,
        position: 2,
        archived: false,
        subscribers_count: 0,
      });
      const anonymous = await tiersOf(creator.username);
      expect(anonymous.bundles).toEqual([]);
      expect(anonymous.data.map((tier) => [tier.name, tier.monthly_price_cents, tier.position])).toEqual([
        ['Subscription', 500, 1],
        ['Gold', 1500, 2],
      ]);
      expect(anonymous.data.every((tier) => !('subscribers_count' in tier))).toBe(true);
      const fan = await createSignedInUser(t);
      expect((await tiersOf(creator.username, fan)).data.every((tier) => !('subscribers_count' in tier))).toBe(true);
      expect((await tiersOf(creator.username, creator)).data.map((tier) => tier.subscribers_count)).toEqual([0, 0]);

      // Its own product, and a monthly and a yearly price naming the tier.
      const prices = [...stripe.prices.values()].filter((p) => p.metadata?.tier_id === gold.id);
      expect(prices.map((p) => `${p.unit_amount}/${p.recurring.interval}`).sort()).toEqual(['1500/month', '15000/year']);
      expect(stripe.products.get(prices[0].product)!.metadata).toEqual({ creator_id: creator.id, tier_id: gold.id });
    });

    it('validates the fields: names, benefits, prices, the yearly price at most 12 x monthly, trials, unknown fields', async () => {
      const creator = await seller();
      for (const body of [
        { name: '', monthly_price_cents: 500 },
        { name: 'x'.repeat(61), monthly_price_cents: 500 },
        { name: 'A', monthly_price_cents: 99 },
        { name: 'A', monthly_price_cents: 100001 },
        { name: 'A', monthly_price_cents: 500, benefits: Array.from({ length: 11 }, () => 'b') },
        { name: 'A', monthly_price_cents: 500, benefits: ['b'.repeat(101)] },
        { name: 'A', monthly_price_cents: 500, description: 'd'.repeat(501) },
        { name: 'A', monthly_price_cents: 500, trial_days: 31 },
        { name: 'A', monthly_price_cents: 500, position: 3 },
      ]) {
        const res = await as(t, creator).post('/me/tiers', body);
        expect({ body, status: res.status }).toEqual({ body, status: expect.any(Number) });
        expect([400, 422]).toContain(res.status);
      }
      const tooDear = await as(t, creator).post('/me/tiers', { name: 'A', monthly_price_cents: 500, yearly_price_cents: 6001 });
      expectProblem(tooDear, 422, 'validation_failed');
      expect(tooDear.body.errors).toEqual([expect.objectContaining({ field: 'yearly_price_cents' })]);
      await addTier(creator, { name: 'A', monthly_price_cents: 500, yearly_price_cents: 6000 });
    });

    it('refuses a price without a payout account that can take payments (field payouts)', async () => {
      const creator = await createSignedInUser(t);
      const res = await as(t, creator).post('/me/tiers', { name: 'Gold', monthly_price_cents: 1500 });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'payouts' })]);
    });

    it('allows 5 non-archived tiers, exactly, also when 8 requests race; archiving frees a place', async () => {
      const creator = await seller();
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => as(t, creator).post('/me/tiers', { name: `T${i}`, monthly_price_cents: 500 + i })));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 422, 422, 422]);
      const tiers = (await tiersOf(creator.username)).data;
      expect(tiers.map((tier) => tier.position)).toEqual([1, 2, 3, 4, 5]);
      expectProblem(await as(t, creator).post('/me/tiers', { name: 'Sixth', monthly_price_cents: 500 }), 422, 'validation_failed');
      await as(t, creator).delete(`/me/tiers/${tiers[4].id}`).expect(204);
      expect((await addTier(creator, { name: 'Sixth' })).position).toBe(6);
    });

    it('keeps the first tier and the profile price in step both ways', async () => {
      const creator = await creatorAt(500);
      const [first] = (await tiersOf(creator.username)).data;
      await as(t, creator).patch(`/me/tiers/${first.id}`, { monthly_price_cents: 800, name: 'Fans' }).expect(200);
      expect((await as(t, creator).get('/me').expect(200)).body.subscription_price_cents).toBe(800);
      await as(t, creator).patch('/me', { subscription_price_cents: 900 }).expect(200);
      expect((await tiersOf(creator.username)).data[0]).toMatchObject({ id: first.id, name: 'Fans', monthly_price_cents: 900 });
      await as(t, creator).patch('/me', { subscription_price_cents: null }).expect(200);
      expect((await tiersOf(creator.username)).data).toEqual([]);
      await as(t, creator).patch('/me', { subscription_price_cents: 1000 }).expect(200);
      expect((await tiersOf(creator.username)).data).toEqual([expect.objectContaining({ id: first.id, monthly_price_cents: 1000, archived: false })]);
      await as(t, creator).delete(`/me/tiers/${first.id}`).expect(204);
      expect((await as(t, creator).get('/me').expect(200)).body.subscription_price_cents).toBeNull();
    });

    it('prices a new amount for new subscriptions only: a new Stripe price, the old one kept', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, {});
      const before = [...stripe.prices.values()].filter((p) => p.metadata?.tier_id === gold.id).map((p) => p.id);
      const updated = (await as(t, creator).patch(`/me/tiers/${gold.id}`, { monthly_price_cents: 2000 }).expect(200)).body;
      expect(updated).toMatchObject({ monthly_price_cents: 2000, subscribers_count: 0 });
      const after = [...stripe.prices.values()].filter((p) => p.metadata?.tier_id === gold.id);
      expect(after.map((p) => p.id)).toEqual(expect.arrayContaining(before));
      expect(after.find((p) => !before.includes(p.id))).toMatchObject({ unit_amount: 2000 });
      const fan = await createSignedInUser(t);
      const started = await as(t, fan).post(`/users/${creator.username}/subscription`, { tier_id: gold.id }).expect(201);
      const params = stripe.checkoutParams(started.body.checkout_session_id);
      expect(stripe.prices.get(params.line_items[0].price)!.unit_amount).toBe(2000);
    });

    it("archives a deleted creator's tiers", async () => {
      const creator = await creatorAt(500);
      await addTier(creator, {});
      await as(t, creator).delete('/me').send({ current_password: PASSWORD }).expect(202);
      await drained(t);
      expect(await t.sql('select archived from tiers where creator_id = ?', [creator.id])).toEqual([{ archived: true }, { archived: true }]);
    });

    it("answers 404 for another creator's tier, and refuses it as a post's min_tier_id", async () => {
      const [creator, other] = await Promise.all([creatorAt(500), seller()]);
      const gold = await addTier(creator, {});
      await as(t, other).patch(`/me/tiers/${gold.id}`, { name: 'Mine' }).expect(404);
      await as(t, other).delete(`/me/tiers/${gold.id}`).expect(404);
      const res = await as(t, other).post('/posts', { content: 'not yours', min_tier_id: gold.id });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'min_tier_id' })]);
      expect((await tiersOf(creator.username)).data.find((tier) => tier.id === gold.id)).toMatchObject({ name: 'Gold', archived: false });
    });
  });

  describe('subscribing to a tier', () => {
    it('checks out the tier at the interval asked, with its trial; the subscription says its tier, interval and trial end', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, { yearly_price_cents: 15000, trial_days: 7 });
      const fan = await createSignedInUser(t);
      const { sessionId } = await subscribeTo(fan, creator, { tier_id: gold.id, interval: 'year' });
      const params = stripe.checkoutParams(sessionId);
      expect(stripe.prices.get(params.line_items[0].price)).toMatchObject({ unit_amount: 15000, recurring: { interval: 'year' } });
      expect(params.subscription_data.trial_period_days).toBe('7');
      expect(await subscriptionRow(fan, creator)).toMatchObject({ tier_id: gold.id, interval: 'year', status: 'trialing', price_cents: 15000 });
      // MRR counts a yearly subscription at its monthly equivalent: 15000 / 12.
      expect((await as(t, creator).get('/me/earnings').expect(200)).body).toMatchObject({ active_subscribers: 1, mrr_cents: 1250 });
      const [mine] = (await as(t, fan).get('/me/subscriptions').expect(200)).body.data;
      expect(mine).toMatchObject({
        status: 'trialing',
        tier: { id: gold.id, name: 'Gold' },
        interval: 'year',
        bundle_months: null,
        offer_code: null,
        trial_end: expect.stringMatching(ISO_UTC),
        gift: false,
      });
      expect((await tiersOf(creator.username, creator)).data.map((tier) => tier.subscribers_count)).toEqual([0, 1]);
    });

    it('defaults to the first tier, monthly; refuses an archived or unknown tier, and a year without a yearly price', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, {});
      const fan = await createSignedInUser(t);
      expectProblem(await as(t, fan).post(`/users/${creator.username}/subscription`, { tier_id: gold.id, interval: 'year' }), 422, 'validation_failed');
      const other = await creatorAt(700);
      const [otherTier] = (await tiersOf(other.username)).data;
      expectProblem(await as(t, fan).post(`/users/${creator.username}/subscription`, { tier_id: otherTier.id }), 422, 'validation_failed');
      await as(t, creator).delete(`/me/tiers/${gold.id}`).expect(204);
      const archived = await as(t, fan).post(`/users/${creator.username}/subscription`, { tier_id: gold.id });
      expectProblem(archived, 422, 'validation_failed');
      expect(archived.body.errors).toEqual([expect.objectContaining({ field: 'tier_id' })]);
      await subscribeTo(fan, creator);
      const [first] = (await tiersOf(creator.username)).data;
      expect(await subscriptionRow(fan, creator)).toMatchObject({ tier_id: first.id, interval: 'month', status: 'active', price_cents: 500 });
    });
  });

  describe('tiered posts and changing tier', () => {
    it('locks a tier-2 post for a tier-1 subscriber, opens it once Stripe confirms an upgrade, never moves back on a late event, and locks it again on a downgrade', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, {});
      const [first] = (await tiersOf(creator.username)).data;
      const post = (await as(t, creator).post('/posts', { content: 'gold only', min_tier_id: gold.id, preview: 'teaser' }).expect(201)).body;
      expect(post).toMatchObject({ is_premium: true, min_tier_id: gold.id, locked: false });
      const basic = (await as(t, creator).post('/posts', { content: 'any subscriber', is_premium: true }).expect(201)).body;

      const fan = await createSignedInUser(t);
      const { subscriptionId } = await subscribeTo(fan, creator);
      expect(await subscriptionRow(fan, creator)).toMatchObject({ tier_id: first.id });
      expect(await locked(fan, post.id)).toBe(true);
      expect(await locked(fan, basic.id)).toBe(false);
      const beforeUpgrade = stripe.subscription(subscriptionId);

      const upgraded = await as(t, fan).patch(`/users/${creator.username}/subscription`, { tier_id: gold.id }).expect(200);
      expect(upgraded.body).toMatchObject({ tier: { id: gold.id, name: 'Gold' }, interval: 'month', price_cents: 1500, status: 'active' });
      expect(stripe.prorations).toEqual([expect.objectContaining({ subscription: subscriptionId, behavior: 'create_prorations' })]);
      const update = stripe.requestsTo('POST', `/v1/subscriptions/${subscriptionId}`).at(-1)!;
      expect(update.body).toMatchObject({ items: [{ id: beforeUpgrade.items.data[0].id, price: expect.stringMatching(/^price_/) }], proration_behavior: 'create_prorations' });
      expect(await locked(fan, post.id)).toBe(false);

      // Stripe's events of the change, and a late one from before it: the row follows Stripe's current state only.
      await applied(stripeEvent('customer.subscription.updated', stripe.subscription(subscriptionId)));
      await applied(stripeEvent('customer.subscription.updated', beforeUpgrade));
      expect(await subscriptionRow(fan, creator)).toMatchObject({ tier_id: gold.id, price_cents: 1500 });
      expect(await locked(fan, post.id)).toBe(false);

      // A downgrade is not prorated: the period is paid at the higher price, and the higher tier's posts stay open until
      // the period end Stripe reports (here in 3 s), then lock.
      const periodEnd = nowSeconds() + 3;
      stripe.updateSubscription(subscriptionId, { periodEnd });
      await applied(stripeEvent('customer.subscription.updated', stripe.subscription(subscriptionId)));
      const downgraded = await as(t, fan).patch(`/users/${creator.username}/subscription`, { tier_id: first.id }).expect(200);
      expect(downgraded.body).toMatchObject({ tier: { id: first.id, name: 'Subscription' }, price_cents: 500 });
      expect(stripe.requestsTo('POST', `/v1/subscriptions/${subscriptionId}`).at(-1)!.body).toMatchObject({ proration_behavior: 'none' });
      expect(stripe.prorations).toHaveLength(1);
      expect(await subscriptionRow(fan, creator)).toMatchObject({ tier_id: first.id, price_cents: 500 });
      expect(await locked(fan, post.id)).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, periodEnd * 1000 - Date.now()) + 200));
      expect(await locked(fan, post.id)).toBe(true);
      expect(await locked(fan, basic.id)).toBe(false);
      expectProblem(await as(t, fan).patch(`/users/${creator.username}/subscription`, { tier_id: first.id }), 422, 'validation_failed');
    });

    it('follows a change made at Stripe (the webhook maps the price back to its tier)', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, {});
      const post = (await as(t, creator).post('/posts', { content: 'gold only', min_tier_id: gold.id }).expect(201)).body;
      const fan = await createSignedInUser(t);
      const { subscriptionId } = await subscribeTo(fan, creator);
      const goldPrice = [...stripe.prices.values()].find((p) => p.metadata?.tier_id === gold.id && p.recurring?.interval === 'month')!;
      const item = stripe.subscriptions.get(subscriptionId)!.items.data[0];
      item.price = { ...goldPrice };
      await applied(stripeEvent('customer.subscription.updated', stripe.subscription(subscriptionId)));
      expect(await subscriptionRow(fan, creator)).toMatchObject({ tier_id: gold.id });
      expect(await locked(fan, post.id)).toBe(false);
    });

    it('answers 404 for a change without a running subscription, and 422 for an archived tier', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, {});
      const stranger = await createSignedInUser(t);
      await as(t, stranger).patch(`/users/${creator.username}/subscription`, { tier_id: gold.id }).expect(404);
      const fan = await createSignedInUser(t);
      await subscribeTo(fan, creator);
      await as(t, creator).delete(`/me/tiers/${gold.id}`).expect(204);
      expectProblem(await as(t, fan).patch(`/users/${creator.username}/subscription`, { tier_id: gold.id }), 422, 'validation_failed');
      expectProblem(await as(t, fan).patch(`/users/${creator.username}/subscription`, {}), 400, 'validation_failed');
    });

    it('keeps an archived tier working for its subscribers and its posts; a new post cannot name it', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, {});
      const post = (await as(t, creator).post('/posts', { content: 'gold only', min_tier_id: gold.id }).expect(201)).body;
      const fan = await createSignedInUser(t);
      await subscribeTo(fan, creator, { tier_id: gold.id });
      await as(t, creator).delete(`/me/tiers/${gold.id}`).expect(204);
      expect(await locked(fan, post.id)).toBe(false);
      expectProblem(await as(t, creator).post('/posts', { content: 'x', min_tier_id: gold.id }), 422, 'validation_failed');
      expectProblem(await as(t, creator).patch(`/posts/${post.id}`, { min_tier_id: gold.id }), 422, 'validation_failed');
    });

    it('sets and clears min_tier_id on edit; only the author may', async () => {
      const creator = await creatorAt(500);
      const gold = await addTier(creator, {});
      const post = (await as(t, creator).post('/posts', { content: 'for everyone' }).expect(201)).body;
      const fan = await createSignedInUser(t);
      await subscribeTo(fan, creator);
      expect(await locked(fan, post.id)).toBe(false);
      const edited = (await as(t, creator).patch(`/posts/${post.id}`, { min_tier_id: gold.id }).expect(200)).body;
      expect(edited).toMatchObject({ content: 'for everyone', is_premium: true, min_tier_id: gold.id });
      expect(await locked(fan, post.id)).toBe(true);
      await as(t, fan).patch(`/posts/${post.id}`, { min_tier_id: null }).expect(403);
      await as(t, creator).patch(`/posts/${post.id}`, { min_tier_id: null }).expect(200);
      expect(await locked(fan, post.id)).toBe(false);
    });

    it("notifies only subscribers of the post's tier or a higher one of a tiered post", async () => {
      const creator = await creatorAt(500);
      const [first] = (await tiersOf(creator.username)).data;
      const gold = await addTier(creator, {});
      const [low, high] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
      await subscribe(t, low, creator, { tierId: first.id });
      await subscribe(t, high, creator, { tierId: gold.id });
      const post = (await as(t, creator).post('/posts', { content: 'gold only', min_tier_id: gold.id }).expect(201)).body;
      const basic = (await as(t, creator).post('/posts', { content: 'everyone', is_premium: true }).expect(201)).body;
      await drained(t);
      const notified = async (postId: string) =>
        (await t.sql<{ user_id: string }>(`select user_id from notifications where post_id = ? and type = 'subscribed_post' order by user_id`, [postId])).map((r) => r.user_id);
      expect(await notified(post.id)).toEqual([high.id]);
      expect(await notified(basic.id)).toEqual([low.id, high.id].sort());
    });
  });
});

import { expectProblem } from '../factories/http';
import { as } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, creatorAt as creatorAtIn, useBillingApp } from '../support/billing';
import { stripeEvent } from '../support/stripe-events';
import { nowSeconds, StripeObject } from '../support/stripe-server';

interface OfferBody {
  id: string;
  code: string;
  kind: string;
  percent_off: number | null;
  amount_off_cents: number | null;
  trial_days: number | null;
  duration: string;
  duration_months: number | null;
  tier_ids: string[] | null;
  audience: string;
  max_redemptions: number | null;
  redemptions_count: number;
  expires_at: string | null;
  active: boolean;
}

let codes = 0;
const nextCode = (prefix = 'OFF') => `${prefix}${Date.now().toString(36)}${++codes}`;

/**
 * Offers (docs/billing.md#offers): CRUD and validation, the public lookup and its reasons, audiences, Stripe coupons
 * and free trials at Checkout, and a redemption limit exact under concurrency.
 */
describe('Offers', () => {
  const billing = useBillingApp({ CONNECT_REQUIRED: 'true', RATE_LIMIT_LOGIN_IP: '10000/5m', RATE_LIMIT_REGISTER_IP: '10000/1h' });
  const { t, stripe } = billing;
  const creatorAt = (cents: number) => creatorAtIn(t, cents, stripe);
  const applied = (event: StripeObject) => appliedTo(t, event);

  const addOffer = async (creator: SignedInUser, body: Record<string, unknown> = {}): Promise<OfferBody> =>
    (await as(t, creator).post('/me/offers', { code: nextCode(), kind: 'percent', percent_off: 20, duration: 'once', audience: 'everyone', ...body }).expect(201)).body;
  const lookup = async (creator: SignedInUser, code: string, viewer?: SignedInUser) => (await as(t, viewer).get(`/users/${creator.username}/offers/${code}`).expect(200)).body;
  const checkout = (fan: SignedInUser, creator: SignedInUser, body: Record<string, unknown> = {}) => as(t, fan).post(`/users/${creator.username}/subscription`, body);
  const subscribeTo = async (fan: SignedInUser, creator: SignedInUser, body: Record<string, unknown> = {}) => {
    const started = await checkout(fan, creator, body).expect(201);
    const { session, subscription } = stripe.completeCheckout(started.body.checkout_session_id);
    await applied(stripeEvent('checkout.session.completed', session));
    return { sessionId: started.body.checkout_session_id as string, subscription: subscription! };
  };
  const mySubscription = async (fan: SignedInUser, creatorId: string) =>
    ((await as(t, fan).get('/me/subscriptions').expect(200)).body.data as { creator: { id: string }; offer_code: string | null; status: string; trial_end: string | null }[]).find(
      (s) => s.creator.id === creatorId,
    )!;

  describe('CRUD', () => {
    it('creates, lists with counts and deletes offers; a taken code is 409', async () => {
      const creator = await creatorAt(1000);
      const code = nextCode('WELCOME');
      const offer = await addOffer(creator, { code, duration: 'repeating', duration_months: 3, max_redemptions: 10 });
      expect(offer).toEqual(
        expect.objectContaining({
          code,
          kind: 'percent',
          percent_off: 20,
          amount_off_cents: null,
          trial_days: null,
          duration: 'repeating',
          duration_months: 3,
          tier_ids: null,
          audience: 'everyone',
          max_redemptions: 10,
          redemptions_count: 0,
          expires_at: null,
          active: true,
        }),
      );
      expectProblem(await as(t, creator).post('/me/offers', { code, kind: 'free_trial', trial_days: 7, duration: 'once', audience: 'new' }), 409, 'conflict');
      // Another creator may use the same code.
      await addOffer(await creatorAt(500), { code });

      const list = (await as(t, creator).get('/me/offers').expect(200)).body.data as OfferBody[];
      expect(list.map((o) => [o.code, o.redemptions_count])).toEqual([[code, 0]]);
      await as(t, creator).delete(`/me/offers/${code}`).expect(204);
      expect((await as(t, creator).get('/me/offers').expect(200)).body.data).toEqual([]);
      expectProblem(await as(t, creator).delete(`/me/offers/${code}`), 404, 'not_found');
      expect((await lookup(creator, code)).reason).toBe('not_found');
    });

    it('validates codes, kinds and the fields each needs, tiers, amounts and expiry', async () => {
      const creator = await creatorAt(1000);
      const stranger = await creatorAt(700);
      const strangerTier = (await as(t, stranger).get(`/users/${stranger.username}/tiers`).expect(200)).body.data[0].id;
      const base = { kind: 'percent', percent_off: 10, duration: 'once', audience: 'everyone' };
      const cases: [Record<string, unknown>, string | null][] = [
        [{ ...base, code: 'abc' }, null],
        [{ ...base, code: 'x'.repeat(33) }, null],
        [{ ...base, code: 'bad code!' }, null],
        [{ ...base, code: nextCode(), kind: 'bogus' }, null],
        [{ ...base, code: nextCode(), percent_off: 101 }, null],
        [{ ...base, code: nextCode(), percent_off: undefined }, 'percent_off'],
        [{ ...base, code: nextCode(), kind: 'fixed', percent_off: undefined }, 'amount_off_cents'],
        [{ ...base, code: nextCode(), kind: 'fixed', percent_off: undefined, amount_off_cents: 1000 }, 'amount_off_cents'],
        [{ ...base, code: nextCode(), kind: 'free_trial', percent_off: undefined }, 'trial_days'],
        [{ ...base, code: nextCode(), kind: 'free_trial', percent_off: undefined, trial_days: 31 }, null],
        [{ ...base, code: nextCode(), duration: 'repeating' }, 'duration_months'],
        [{ ...base, code: nextCode(), duration_months: 2 }, 'duration_months'],
        [{ ...base, code: nextCode(), tier_ids: [strangerTier] }, 'tier_ids'],
        [{ ...base, code: nextCode(), expires_at: new Date(Date.now() - 1000).toISOString() }, 'expires_at'],
        [{ ...base, code: nextCode(), audience: 'friends' }, null],
        [{ ...base, code: nextCode(), unknown: 1 }, null],
      ];
      for (const [body, field] of cases) {
        const res = await as(t, creator).post('/me/offers', body);
        expect({ body, status: res.status }).toEqual({ body, status: field ? 422 : expect.any(Number) });
        expect([400, 422]).toContain(res.status);
        if (field) expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      }
      await addOffer(creator, { kind: 'fixed', percent_off: undefined, amount_off_cents: 999, duration: 'forever' });
    });
  });

  describe('lookup', () => {
    it('answers 200 with valid, or not_found, expired, exhausted and not_eligible', async () => {
      const creator = await creatorAt(1000);
      const open = await addOffer(creator);
      expect(await lookup(creator, open.code)).toEqual({
        code: open.code,
        valid: true,
        kind: 'percent',
        percent_off: 20,
        amount_off_cents: null,
        trial_days: null,
        duration: 'once',
        duration_months: null,
        tier_ids: null,
      });
      expect(await lookup(creator, 'NOPE1234')).toEqual({
        code: 'NOPE1234',
        valid: false,
        reason: 'not_found',
        kind: null,
        percent_off: null,
        amount_off_cents: null,
        trial_days: null,
        duration: null,
        duration_months: null,
        tier_ids: null,
      });
      const expiring = await addOffer(creator, { expires_at: new Date(Date.now() + 60_000).toISOString() });
      await t.sql("update offers set expires_at = now() - interval '1 second' where id = ?", [expiring.id]);
      expect(await lookup(creator, expiring.code)).toMatchObject({ valid: false, reason: 'expired', kind: 'percent' });
      const exhausted = await addOffer(creator, { max_redemptions: 1 });
      await subscribeTo(await createSignedInUser(t), creator, { offer_code: exhausted.code });
      expect(await lookup(creator, exhausted.code)).toMatchObject({ valid: false, reason: 'exhausted' });

      const forNew = await addOffer(creator, { audience: 'new' });
      const fan = await createSignedInUser(t);
      expect(await lookup(creator, forNew.code, fan)).toMatchObject({ valid: true });
      const { subscription } = await subscribeTo(fan, creator);
      expect(await lookup(creator, forNew.code, fan)).toMatchObject({ valid: false, reason: 'not_eligible' });
      // Signed out, nobody is outside the audience.
      expect(await lookup(creator, forNew.code)).toMatchObject({ valid: true });
      expect(subscription.id).toBeTruthy();
    });

    it('is rate limited per user (codes can be guessed): 429 with Retry-After past RATE_LIMIT_OFFER_LOOKUP', async () => {
      const creator = await creatorAt(1000);
      const guesser = await createSignedInUser(t);
      for (let i = 0; i < 30; i++) await lookup(creator, `GUESS${i.toString().padStart(3, '0')}`, guesser);
      const limited = await as(t, guesser).get(`/users/${creator.username}/offers/GUESS999`);
      expectProblem(limited, 429, 'rate_limited');
      expect(limited.headers['retry-after']).toBeDefined();
      // Another user is counted apart.
      await lookup(creator, 'GUESS999', await createSignedInUser(t));
    });
  });

  describe('checkout', () => {
    it('carries the coupon at Checkout and the subscription names the offer', async () => {
      const creator = await creatorAt(1000);
      const offer = await addOffer(creator, { percent_off: 25, duration: 'repeating', duration_months: 3 });
      const fan = await createSignedInUser(t);
      const { sessionId } = await subscribeTo(fan, creator, { offer_code: offer.code });
      const params = stripe.checkoutParams(sessionId);
      const couponId = params.discounts[0].coupon as string;
      expect(stripe.coupons.get(couponId)).toMatchObject({ percent_off: 25, duration: 'repeating', duration_in_months: 3, times_redeemed: 1 });
      expect(params.subscription_data.metadata.offer_code).toBe(offer.code);
      expect(stripe.sessions.get(sessionId)).toMatchObject({ amount_subtotal: 1000, amount_total: 750 });
      expect((await mySubscription(fan, creator.id)).offer_code).toBe(offer.code);
      const [own] = (await as(t, creator).get('/me/offers').expect(200)).body.data as OfferBody[];
      expect(own.redemptions_count).toBe(1);

      // A fixed offer: amount_off in the creator's currency; the coupon is created once per offer.
      const fixed = await addOffer(creator, { kind: 'fixed', percent_off: undefined, amount_off_cents: 300, duration: 'forever' });
      const [a, b] = [await createSignedInUser(t), await createSignedInUser(t)];
      const first = (await checkout(a, creator, { offer_code: fixed.code }).expect(201)).body.checkout_session_id;
      const second = (await checkout(b, creator, { offer_code: fixed.code }).expect(201)).body.checkout_session_id;
      const coupon = stripe.checkoutParams(first).discounts[0].coupon;
      expect(stripe.checkoutParams(second).discounts[0].coupon).toBe(coupon);
      expect(stripe.coupons.get(coupon)).toMatchObject({ amount_off: 300, currency: 'usd', duration: 'forever' });
      expect(stripe.sessions.get(first)!.amount_total).toBe(700);
    });

    it('starts a free trial as trialing, without a coupon', async () => {
      const creator = await creatorAt(1000);
      const offer = await addOffer(creator, { kind: 'free_trial', percent_off: undefined, trial_days: 14 });
      const fan = await createSignedInUser(t);
      const { sessionId } = await subscribeTo(fan, creator, { offer_code: offer.code });
      const params = stripe.checkoutParams(sessionId);
      expect(params.discounts).toBeUndefined();
      expect(Number(params.subscription_data.trial_period_days)).toBe(14);
      const mine = await mySubscription(fan, creator.id);
      expect(mine).toMatchObject({ status: 'trialing', offer_code: offer.code });
      expect(new Date(mine.trial_end!).getTime()).toBeGreaterThan(Date.now() + 13 * 86_400_000);
    });

    it('refuses an unknown, expired, deleted or wrong-tier offer with 422 field offer_code', async () => {
      const creator = await creatorAt(1000);
      const gold = (await as(t, creator).post('/me/tiers', { name: 'Gold', monthly_price_cents: 2000 }).expect(201)).body;
      const goldOnly = await addOffer(creator, { tier_ids: [gold.id] });
      const expired = await addOffer(creator, { expires_at: new Date(Date.now() + 60_000).toISOString() });
      await t.sql("update offers set expires_at = now() - interval '1 second' where id = ?", [expired.id]);
      const deleted = await addOffer(creator);
      await as(t, creator).delete(`/me/offers/${deleted.code}`).expect(204);
      const fan = await createSignedInUser(t);
      for (const code of ['NOPE1234', expired.code, deleted.code, goldOnly.code]) {
        const res = await checkout(fan, creator, { offer_code: code });
        expectProblem(res, 422, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'offer_code' })]);
      }
      // The tier it is for takes it.
      await checkout(fan, creator, { offer_code: goldOnly.code, tier_id: gold.id }).expect(201);
      expect(stripe.requestsTo('POST', '/v1/checkout/sessions').length).toBeGreaterThan(0);
    });

    it('refuses a returning offer to a new fan and takes it from a fan whose subscription ended', async () => {
      const creator = await creatorAt(1000);
      const winBack = await addOffer(creator, { audience: 'returning', percent_off: 50 });
      const newcomer = await createSignedInUser(t);
      const refused = await checkout(newcomer, creator, { offer_code: winBack.code });
      expectProblem(refused, 422, 'validation_failed');
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'offer_code' })]);
      expect(await lookup(creator, winBack.code, newcomer)).toMatchObject({ valid: false, reason: 'not_eligible' });

      const returning = await createSignedInUser(t);
      const { subscription } = await subscribeTo(returning, creator);
      const ended = stripe.updateSubscription(subscription.id, { status: 'canceled', ended_at: nowSeconds() });
      await applied(stripeEvent('customer.subscription.deleted', ended));
      expect(await lookup(creator, winBack.code, returning)).toMatchObject({ valid: true });
      const { sessionId } = await subscribeTo(returning, creator, { offer_code: winBack.code });
      expect(stripe.checkoutParams(sessionId).discounts).toHaveLength(1);
      expect((await mySubscription(returning, creator.id)).offer_code).toBe(winBack.code);
    });

    it('counts a redemption once: 50 parallel checkouts of an offer with max_redemptions 5 give 5 discounts', async () => {
      const creator = await creatorAt(1000);
      const offer = await addOffer(creator, { max_redemptions: 5 });
      const fans = await Promise.all(Array.from({ length: 50 }, () => createSignedInUser(t)));
      const answers = await Promise.all(fans.map((fan) => checkout(fan, creator, { offer_code: offer.code })));
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(5);
      expect(statuses.filter((s) => s === 422)).toHaveLength(45);
      const discounted = answers.filter((r) => r.status === 201).map((r) => stripe.checkoutParams(r.body.checkout_session_id));
      expect(discounted.every((p) => p.discounts?.length === 1)).toBe(true);
      const [row] = await t.sql<{ redemptions_count: number }>('select redemptions_count from offers where id = ?', [offer.id]);
      expect(row.redemptions_count).toBe(5);
      // The same fan asking again holds their reservation: not counted twice, the same open session.
      const winner = fans[statuses.indexOf(201)];
      const again = await checkout(winner, creator, { offer_code: offer.code }).expect(201);
      expect(again.body.checkout_session_id).toBe(answers[statuses.indexOf(201)].body.checkout_session_id);
      expect((await lookup(creator, offer.code)).reason).toBe('exhausted');
    });

    it('releases the reservation of a checkout that lapsed unpaid', async () => {
      const creator = await creatorAt(1000);
      const offer = await addOffer(creator, { max_redemptions: 1 });
      const [first, second] = [await createSignedInUser(t), await createSignedInUser(t)];
      await checkout(first, creator, { offer_code: offer.code }).expect(201);
      expectProblem(await checkout(second, creator, { offer_code: offer.code }), 422, 'validation_failed');
      await t.sql("update offer_redemptions set reserved_until = now() - interval '1 second' where offer_id = ?", [offer.id]);
      await checkout(second, creator, { offer_code: offer.code }).expect(201);
      const [row] = await t.sql<{ redemptions_count: number }>('select redemptions_count from offers where id = ?', [offer.id]);
      expect(row.redemptions_count).toBe(1);
    });
  });
});

import { REBUILD_EARNINGS_MONTHS_SQL } from '@/modules/billing/earnings/earnings-ledger';
import { expectProblem } from '../factories/http';
import { as, suspend } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, creatorAt as creatorAtIn, useBillingApp } from '../support/billing';
import { TestSmtpServer } from '../support/smtp-server';
import { stripeEvent } from '../support/stripe-events';
import { StripeObject } from '../support/stripe-server';
import { drained } from '../support/wait';

const APP_URL = 'https://app.gifts.test';
const DAY_MS = 86_400_000;

interface SubscriptionBody {
  id: string;
  gift: boolean;
  tier: { id: string; name: string } | null;
  creator: { id: string };
  current_period_end: string | null;
}

// Gifts (docs/billing.md#gifts): POST /users/:username/gifts, a Checkout in payment mode; once paid the recipient has
// the tier's access for `months` (stacking after an earlier gift), renewing nothing; POST /gifts/redeem for e-mailed ones.
describe('Gifts (Stripe)', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
  });
  afterAll(async () => {
    await smtp?.stop().catch(() => undefined);
  });
  const billing = useBillingApp({
    CONNECT_REQUIRED: 'true',
    RATE_LIMIT_POST_CREATE: '1000/1h',
    APP_URL,
    get SMTP_URL() {
      return smtp.url;
    },
  });
  const { t, stripe } = billing;
  const creatorAt = (cents: number) => creatorAtIn(t, cents, stripe);
  const applied = (event: StripeObject) => appliedTo(t, event);

  const addTier = async (creator: SignedInUser, body: Record<string, unknown> = {}): Promise<{ id: string }> =>
    (await as(t, creator).post('/me/tiers', { name: 'Gold', monthly_price_cents: 1500, ...body }).expect(201)).body;
  const locked = async (viewer: SignedInUser, postId: string): Promise<boolean> => (await as(t, viewer).get(`/posts/${postId}`).expect(200)).body.locked;
  const giftRows = (recipient: SignedInUser) =>
    t.sql<{ id: string; status: string; months: number; starts_at: Date; ends_at: Date }>(
      'select id, status, months, starts_at, ends_at from gifts where recipient_id = ? order by starts_at',
      [recipient.id],
    );
  /** A gift asked, paid at Stripe and its completion applied (twice: Stripe delivers again). */
  const give = async (gifter: SignedInUser, creator: SignedInUser, body: Record<string, unknown>) => {
    const started = await as(t, gifter).post(`/users/${creator.username}/gifts`, body).expect(201);
    const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
    const completed = stripeEvent('checkout.session.completed', session);
    await applied(completed);
    await applied(completed);
    await drained(t);
    return { sessionId: started.body.checkout_session_id as string, paymentIntentId: paymentIntent!.id as string };
  };

  it('costs the bundle of that length when the creator sells one (the bundle price, its rounding), else months x monthly', async () => {
    const creator = await creatorAt(999);
    await t.http.put('/api/v1/me/bundles').set('Authorization', `Bearer ${creator.accessToken}`).send({ bundles: [{ months: 6, discount_percent: 15 }] }).expect(200);
    const [gifter, fan] = [await createSignedInUser(t), await createSignedInUser(t)];
    const amount = async (months: number) => {
      await as(t, gifter).post(`/users/${creator.username}/gifts`, { months, recipient_username: fan.username }).expect(201);
      return stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body.line_items[0].price_data.unit_amount;
    };
    // 6 x 999 x 0.85 = 5094.9: the bundle's price, rounded half up once on the total, as a bundle subscription's.
    expect(await amount(6)).toBe('5095');
    expect(await amount(3)).toBe('2997');
  });

  it('gives a tier to a username: payment-mode Checkout at months x monthly with fee and destination; once paid access to a tier post, a notification, a ledger entry, a gift in /me/subscriptions', async () => {
    const creator = await creatorAt(500);
    const gold = await addTier(creator);
    const post = (await as(t, creator).post('/posts', { content: 'gold only', min_tier_id: gold.id, preview: 'teaser' }).expect(201)).body;
    const [gifter, fan] = [await createSignedInUser(t), await createSignedInUser(t)];
    expect(await locked(fan, post.id)).toBe(true);

    const started = await as(t, gifter).post(`/users/${creator.username}/gifts`, { months: 3, tier_id: gold.id, recipient_username: fan.username, message: 'Enjoy' }).expect(201);
    expect(started.body).toEqual({ checkout_url: expect.any(String), checkout_session_id: expect.any(String) });
    expect(stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body).toMatchObject({
      mode: 'payment',
      client_reference_id: gifter.id,
      metadata: { gift: '1', creator_id: creator.id, user_id: gifter.id },
      line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '4500' } }],
    });
    expect(stripe.checkoutParams(started.body.checkout_session_id).payment_intent_data).toMatchObject({ application_fee_amount: '450', transfer_data: { destination: expect.any(String) } });
    expect(await locked(fan, post.id)).toBe(true); // nothing before Stripe says it is paid

    const { session } = stripe.completeCheckout(started.body.checkout_session_id);
    await applied(stripeEvent('checkout.session.completed', session));
    await applied(stripeEvent('checkout.session.completed', session)); // the same completion as a new event
    await drained(t);

    expect(await locked(fan, post.id)).toBe(false);
    expect(await locked(gifter, post.id)).toBe(true);
    const [row] = await giftRows(fan);
    expect(row).toMatchObject({ status: 'paid', months: 3 });
    const days = (new Date(row.ends_at).getTime() - new Date(row.starts_at).getTime()) / DAY_MS;
    expect(days).toBeGreaterThanOrEqual(89);
    expect(days).toBeLessThanOrEqual(92);
    expect(await t.sql(`select from_user_id from notifications where user_id = ? and type = 'gift_received'`, [fan.id])).toEqual([{ from_user_id: gifter.id }]);
    const listed = (await as(t, fan).get('/notifications').expect(200)).body.data as { type: string; from_user: { id: string } }[];
    expect(listed.map((n) => [n.type, n.from_user.id])).toEqual([['gift_received', gifter.id]]);
    expect(
      await t.sql(`select kind, counterparty_id, gross_cents, fee_cents from earnings_entries where creator_id = ? and kind = 'gift'`, [creator.id]),
    ).toEqual([{ kind: 'gift', counterparty_id: gifter.id, gross_cents: 4500, fee_cents: 450 }]);
    // GET /me/earnings shows the gift in its month and in the lifetime sums (docs/billing.md#earnings).
    const earnings = (await as(t, creator).get('/me/earnings').expect(200)).body as { lifetime: { gift_cents: number; tip_cents: number }; months: { gift_cents: number }[] };
    expect(earnings.lifetime).toMatchObject({ gross_cents: 4500, gift_cents: 4500, tip_cents: 0 });
    expect(earnings.months[11].gift_cents).toBe(4500);
    // The summary is still the ledger's sums: rebuilt from the entries, the months are the same (tip_cents, gift_cents included).
    const summary = `select creator_id, currency, month::text, gross_cents, fee_cents, net_cents, refunded_cents, referral_cents, tip_cents, gift_cents, discount_cents, unlocks
      from earnings_months order by 1, 2, 3`;
    const kept = await t.sql(summary);
    await t.sql('delete from earnings_months');
    await t.sql(REBUILD_EARNINGS_MONTHS_SQL);
    expect(await t.sql(summary)).toEqual(kept);

    const subs = (await as(t, fan).get('/me/subscriptions').expect(200)).body.data as SubscriptionBody[];
    expect(subs).toEqual([expect.objectContaining({ gift: true, tier: { id: gold.id, name: 'Gold' }, creator: expect.objectContaining({ id: creator.id }) })]);
    expect(new Date(subs[0].current_period_end!).getTime()).toBe(new Date(row.ends_at).getTime());

    // The same search the timelines use (the SQL form of the rule) shows the post open to the recipient.
    const feed = (await as(t, fan).get(`/users/${creator.username}/posts`).expect(200)).body.data as { id: string; locked: boolean }[];
    expect(feed.find((p) => p.id === post.id)?.locked).toBe(false);
  });

  it('stacks a second gift after the first; a refund revokes the refunded gift only', async () => {
    const creator = await creatorAt(500);
    const basic = (await as(t, creator).post('/posts', { content: 'subscribers', is_premium: true }).expect(201)).body;
    const [gifter, fan] = [await createSignedInUser(t), await createSignedInUser(t)];
    const first0 = await give(gifter, creator, { months: 1, recipient_username: fan.username });
    const second = await give(gifter, creator, { months: 1, recipient_username: fan.username, message: 'more' });
    const [first, next] = await giftRows(fan);
    expect(new Date(next.starts_at).getTime()).toBe(new Date(first.ends_at).getTime());
    expect(await locked(fan, basic.id)).toBe(false);

    await applied(stripeEvent('charge.refunded', stripe.refund(second.paymentIntentId)));
    expect((await giftRows(fan)).map((g) => g.status)).toEqual(['paid', 'refunded']);
    expect(await locked(fan, basic.id)).toBe(false);
    // The refund reverses the ledger entry as for tips.
    expect(await t.sql(`select count(*)::int as n from earnings_entries where creator_id = ? and kind = 'refund'`, [creator.id])).toEqual([{ n: 1 }]);
    // Refunding the running one too revokes the access at once.
    await applied(stripeEvent('charge.refunded', stripe.refund(first0.paymentIntentId)));
    expect(await locked(fan, basic.id)).toBe(true);
  });

  it('keeps a gift refunded, with no access and no notification, when the refund overtakes the checkout event', async () => {
    const creator = await creatorAt(500);
    const basic = (await as(t, creator).post('/posts', { content: 'subscribers', is_premium: true }).expect(201)).body;
    const [gifter, fan] = [await createSignedInUser(t), await createSignedInUser(t)];
    const started = await as(t, gifter).post(`/users/${creator.username}/gifts`, { months: 1, recipient_username: fan.username }).expect(201);
    const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
    await applied(stripeEvent('charge.refunded', stripe.refund(paymentIntent!.id)));
    await applied(stripeEvent('checkout.session.completed', session));
    await drained(t);
    expect(await t.sql('select status, starts_at from gifts where stripe_checkout_session_id = ?', [started.body.checkout_session_id])).toEqual([
      { status: 'refunded', starts_at: null },
    ]);
    expect(await locked(fan, basic.id)).toBe(true);
    expect(await t.sql(`select 1 from notifications where user_id = ? and type = 'gift_received'`, [fan.id])).toEqual([]);
  });

  it('ends access on its day: a grant that ended gives nothing, and the listing drops it', async () => {
    const creator = await creatorAt(500);
    const basic = (await as(t, creator).post('/posts', { content: 'subscribers', is_premium: true }).expect(201)).body;
    const [gifter, fan] = [await createSignedInUser(t), await createSignedInUser(t)];
    await give(gifter, creator, { months: 1, recipient_username: fan.username });
    expect(await locked(fan, basic.id)).toBe(false);
    // The clock moves: the grant ends a second ago.
    await t.sql(`update gifts set starts_at = now() - interval '31 days', ends_at = now() - interval '1 second' where recipient_id = ?`, [fan.id]);
    expect(await locked(fan, basic.id)).toBe(true);
    expect(((await as(t, fan).get('/me/subscriptions').expect(200)).body.data as SubscriptionBody[]).filter((s) => s.gift)).toEqual([]);
  });

  it('mails a redeem link to an address without an account; redeeming gives access once, a second redeem is 400 invalid_token', async () => {
    const creator = await creatorAt(500);
    const basic = (await as(t, creator).post('/posts', { content: 'subscribers', is_premium: true }).expect(201)).body;
    const gifter = await createSignedInUser(t);
    const email = `friend-${Date.now()}@example.test`;
    await give(gifter, creator, { months: 6, recipient_email: email, message: 'for you' });
    const mail = await smtp.next(email, 1);
    expect(mail.link).toMatch(new RegExp(`^${APP_URL}/gifts/redeem\\?token=`));
    expect(mail.text).not.toContain('for you'); // no user-chosen text to an unverified address
    const row = (await t.sql<{ redeem_token_hash: string }>('select redeem_token_hash from gifts where recipient_email = ?', [email]))[0];
    expect(row.redeem_token_hash).toHaveLength(64);
    expect(row.redeem_token_hash).not.toContain(mail.token!);

    const friend = await createSignedInUser(t);
    expect(await locked(friend, basic.id)).toBe(true);
    const redeemed = await as(t, friend).post('/gifts/redeem', { token: mail.token }).expect(200);
    expect(redeemed.body).toMatchObject({ creator: { id: creator.id, username: creator.username }, months: 6, message: 'for you' });
    expect(await locked(friend, basic.id)).toBe(false);
    expectProblem(await as(t, friend).post('/gifts/redeem', { token: mail.token }), 400, 'invalid_token');
    expectProblem(await as(t, gifter).post('/gifts/redeem', { token: mail.token }), 400, 'invalid_token');
    expectProblem(await as(t, friend).post('/gifts/redeem', { token: 'nope' }), 400, 'invalid_token');
  });

  it('refuses a gift to yourself or the creator (422), an unknown recipient (422 field recipient_username), both or no recipient (422), a blocked pair (403), a suspended creator (404)', async () => {
    const creator = await creatorAt(500);
    const [gifter, fan] = [await createSignedInUser(t), await createSignedInUser(t)];
    const to = (body: Record<string, unknown>, username = creator.username) => as(t, gifter).post(`/users/${username}/gifts`, { months: 1, ...body });
    const self = await to({ recipient_username: gifter.username });
    expectProblem(self, 422, 'validation_failed');
    expect(self.body.errors).toEqual([expect.objectContaining({ field: 'recipient_username' })]);
    expectProblem(await to({ recipient_username: creator.username }), 422, 'validation_failed');
    const unknown = await to({ recipient_username: 'nobody_here_x' });
    expectProblem(unknown, 422, 'validation_failed');
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'recipient_username' })]);
    expectProblem(await to({}), 422, 'validation_failed');
    expectProblem(await to({ recipient_username: fan.username, recipient_email: 'x@example.test' }), 422, 'validation_failed');
    expectProblem(await to({ months: 2, recipient_username: fan.username }), 400, 'validation_failed');
    expectProblem(await to({ recipient_username: fan.username, message: 'x'.repeat(501) }), 400, 'validation_failed');

    await as(t, creator).post(`/users/${fan.username}/block`).expect(200);
    expectProblem(await to({ recipient_username: fan.username }), 403, 'forbidden');

    const other = await creatorAt(700);
    await suspend(t, other);
    expectProblem(await to({ recipient_username: fan.username }, other.username), 404, 'not_found');
  });
});

import { expectProblem } from '../factories/http';
import { as, createPost } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, BillingSuite, creatorAt as creatorAtIn, paySubscription, payUnlock, processed, useBillingApp } from '../support/billing';
import { deliver, stripeEvent } from '../support/stripe-events';
import { nowSeconds, StripeObject } from '../support/stripe-server';
import { drained } from '../support/wait';


interface Earnings {
  currency: string;
  active_subscribers: number;
  mrr_cents: number;
  lifetime: { gross_cents: number; fee_cents: number; net_cents: number; refunded_cents: number; referral_cents: number; tip_cents: number; gift_cents: number; discount_cents: number };
  months: { month: string; gross_cents: number; fee_cents: number; net_cents: number; new_subscribers: number; churned_subscribers: number; unlocks: number }[];
}

/** `2026-11` for a Unix time, UTC. */
const monthOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 7);
const emptyMonth = { gross_cents: 0, fee_cents: 0, net_cents: 0, new_subscribers: 0, churned_subscribers: 0, unlocks: 0, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 };

// Both modes record the same figures here: with Connect the fee is the application fee Stripe reports (checkout asks
// for PLATFORM_FEE_PERCENT, 10 %), in platform-collects mode the ledger computes the same 10 % itself.
describe.each(['true', 'false'])('Creator earnings (GET /me/earnings, the ledger the Stripe worker writes), CONNECT_REQUIRED=%s', (connectRequired) => {
  const billing: BillingSuite = useBillingApp({ CONNECT_REQUIRED: connectRequired });
  const { t, stripe } = billing;
  const creatorAt = (cents: number) => creatorAtIn(t, cents, stripe);
  const applied = (event: StripeObject) => appliedTo(t, event);
  const earnings = async (user: SignedInUser): Promise<Earnings> => (await as(t, user).get('/me/earnings').expect(200)).body;
  const thisMonth = (e: Earnings) => e.months.at(-1)!;
  const entries = (creator: SignedInUser) =>
    t.sql<{ kind: string; gross_cents: number; fee_cents: number; net_cents: number; counterparty_id: string | null }>(
      'select kind, gross_cents, fee_cents, net_cents, counterparty_id from earnings_entries where creator_id = ? order by kind, gross_cents, fee_cents, counterparty_id',
      [creator.id],
    );

  /** Subscribes through Checkout and applies Stripe's events for it, the first invoice's `invoice.paid` included. */
  const subscribed = async (fan: SignedInUser, creator: SignedInUser) => {
    const { session, subscription } = await paySubscription(billing, fan, creator);
    await applied(stripeEvent('checkout.session.completed', session));
    await applied(stripeEvent('invoice.paid', stripe.invoice(subscription.id, true, { first: true })));
    return subscription.id as string;
  };

  it('records paid invoices, unlocks, a refund and a dispute, and answers the contract', async () => {
    const creator = await creatorAt(1000);
    const [fan1, fan2, buyer1, buyer2] = await Promise.all([1, 2, 3, 4].map(() => createSignedInUser(t)));
    const sub1 = await subscribed(fan1, creator);
    const sub2 = await subscribed(fan2, creator);
    // A renewal paid through Connect: Stripe reports the application fee it took (15 %), which wins over the percentage.
    await applied(stripeEvent('invoice.paid', stripe.invoice(sub1, true, { applicationFee: 150 })));

    const post = await createPost(t, creator, { content: 'pay per view', price_cents: 500 });
    const first = await payUnlock(billing, buyer1, post.id);
    await applied(stripeEvent('checkout.session.completed', first.session));
    const second = await payUnlock(billing, buyer2, post.id);
    stripe.paymentIntents.get(second.paymentIntent.id)!.application_fee_amount = 75;
    await applied(stripeEvent('checkout.session.completed', second.session));

    // buyer1 is refunded in full; fan2's first payment is disputed (funds withdrawn), then fan2's subscription ends.
    await applied(stripeEvent('charge.refunded', stripe.refund(first.paymentIntent.id)));
    const fan2Intent = (await t.sql<{ pi: string }>(`select stripe_payment_intent_id as pi from earnings_entries where counterparty_id = ? and kind = 'subscription_payment'`, [fan2.id]))[0].pi;
    await applied(stripeEvent('charge.dispute.created', stripe.dispute(fan2Intent)));
    const ended = stripe.updateSubscription(sub2, { status: 'canceled', ended_at: nowSeconds(), canceled_at: nowSeconds() });
    await applied(stripeEvent('customer.subscription.deleted', ended));

    const started = [fan1.id, fan2.id].sort();
    const subscriptionPayers = [fan1.id, fan2.id].sort();
    expect(await entries(creator)).toEqual([
      { kind: 'dispute', gross_cents: -1000, fee_cents: -100, net_cents: -900, counterparty_id: fan2.id },
      { kind: 'refund', gross_cents: -500, fee_cents: -50, net_cents: -450, counterparty_id: buyer1.id },
      { kind: 'subscriber_ended', gross_cents: 0, fee_cents: 0, net_cents: 0, counterparty_id: fan2.id },
      ...started.map((id) => ({ kind: 'subscriber_started', gross_cents: 0, fee_cents: 0, net_cents: 0, counterparty_id: id })),
      ...subscriptionPayers.map((id) => ({ kind: 'subscription_payment', gross_cents: 1000, fee_cents: 100, net_cents: 900, counterparty_id: id })),
      { kind: 'subscription_payment', gross_cents: 1000, fee_cents: 150, net_cents: 850, counterparty_id: fan1.id },
      { kind: 'unlock', gross_cents: 500, fee_cents: 50, net_cents: 450, counterparty_id: buyer1.id },
      { kind: 'unlock', gross_cents: 500, fee_cents: 75, net_cents: 425, counterparty_id: buyer2.id },
    ]);

    const body = await earnings(creator);
    expect(body).toEqual({
      currency: 'usd',
      active_subscribers: 1,
      mrr_cents: 1000,
      lifetime: { gross_cents: 2500, fee_cents: 325, net_cents: 2175, refunded_cents: 500, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 },
      months: expect.any(Array),
    });
    expect(body.months).toHaveLength(12);
    expect(thisMonth(body)).toEqual({ month: monthOf(nowSeconds()), gross_cents: 2500, fee_cents: 325, net_cents: 2175, new_subscribers: 2, churned_subscribers: 1, unlocks: 2, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 });
    expect(body.months.slice(0, 11).every((m) => m.gross_cents === 0 && m.unlocks === 0)).toBe(true);
  });

  it('applies the same events once however often and in whatever order they arrive', async () => {
    const creator = await creatorAt(800);
    const [fan, buyer] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const post = await createPost(t, creator, { content: 'ppv', price_cents: 600 });

    const checkout = await paySubscription(billing, fan, creator);
    const subscriptionId = checkout.subscription.id as string;
    const firstInvoice = stripe.invoice(subscriptionId, true, { first: true });
    const renewal = stripe.invoice(subscriptionId, true);
    const unlock = await payUnlock(billing, buyer, post.id);
    const partial = stripe.refund(unlock.paymentIntent.id, { amount: 200 });
    const whole = stripe.refund(unlock.paymentIntent.id);
    const dispute = stripe.dispute(stripe.invoicePaymentIntent(firstInvoice.id).id);
    const events = [
      stripeEvent('checkout.session.completed', checkout.session),
      stripeEvent('customer.subscription.created', checkout.subscription),
      stripeEvent('invoice.paid', firstInvoice),
      stripeEvent('invoice.paid', renewal),
      stripeEvent('checkout.session.completed', unlock.session),
      stripeEvent('charge.refunded', partial),
      stripeEvent('charge.refunded', whole),
      stripeEvent('charge.dispute.created', dispute),
      stripeEvent('charge.dispute.funds_withdrawn', dispute),
      stripeEvent('charge.dispute.closed', { ...dispute, status: 'won' }),
    ];
    // Each event three times (Stripe's retries, the same id), shuffled, in concurrent waves.
    const deliveries = events.flatMap((e) => [e, e, e]).sort(() => Math.random() - 0.5);
    for (let i = 0; i < deliveries.length; i += 6) {
      await Promise.all(deliveries.slice(i, i + 6).map((e) => deliver(t, e).expect(200)));
    }
    for (const event of events) expect(await processed(t, event.id)).toBeTruthy();
    await drained(t);

    const rows = await entries(creator);
    // Refunds: one entry per Stripe refund, whichever event came first (test/e2e/ledger.e2e-spec.ts checks their ids).
    expect(rows.filter((r) => r.kind === 'refund')).toHaveLength(2);
    expect(rows.filter((r) => r.kind !== 'refund').map((r) => r.kind).sort()).toEqual(
      ['dispute', 'dispute_won', 'subscriber_started', 'subscription_payment', 'subscription_payment', 'unlock'].sort(),
    );
    const sum = (kind: string) => rows.filter((r) => r.kind === kind).reduce((s, r) => s + r.gross_cents, 0);
    expect({ refund: sum('refund'), dispute: sum('dispute'), won: sum('dispute_won'), paid: sum('subscription_payment'), unlock: sum('unlock') }).toEqual({
      refund: -600,
      dispute: -800,
      won: 800,
      paid: 1600,
      unlock: 600,
    });
    // The refunds' fees add up to the payment's fee exactly, whichever total arrived first.
    expect(rows.filter((r) => r.kind === 'refund').reduce((s, r) => s + r.fee_cents, 0)).toBe(-60);

    const body = await earnings(creator);
    expect(body.lifetime).toEqual({ gross_cents: 1600, fee_cents: 160, net_cents: 1440, refunded_cents: 600, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 });
    expect(thisMonth(body)).toMatchObject({ gross_cents: 1600, new_subscribers: 1, churned_subscribers: 0, unlocks: 1 });
    // The summary is exactly the ledger's sums.
    const [check] = await t.sql<{ ledger: number; summary: number }>(
      `select (select sum(net_cents) from earnings_entries where creator_id = ?)::int as ledger,
              (select sum(net_cents) from earnings_months where creator_id = ?)::int as summary`,
      [creator.id, creator.id],
    );
    expect(check).toEqual({ ledger: 1440, summary: 1440 });
  });

  it('answers 12 UTC months, the current one last, with zeros, and counts each payment in its month', async () => {
    const creator = await creatorAt(400);
    const fan = await createSignedInUser(t);
    const nobody = await createSignedInUser(t);

    const zeros = await earnings(nobody);
    expect(zeros).toMatchObject({ currency: 'usd', active_subscribers: 0, mrr_cents: 0, lifetime: { gross_cents: 0, fee_cents: 0, net_cents: 0, refunded_cents: 0, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 } });
    const now = new Date();
    const expectedMonths = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11 + i, 1)).toISOString().slice(0, 7));
    expect(zeros.months).toEqual(expectedMonths.map((month) => ({ month, ...emptyMonth })));

    const subscriptionId = await subscribed(fan, creator);
    // Renewals paid 3 and 13 months ago (mid-month, far from any boundary): the older one is lifetime only.
    const monthsAgo = (n: number) => Math.floor(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 15) / 1000);
    await applied(stripeEvent('invoice.paid', stripe.invoice(subscriptionId, true, { at: monthsAgo(3) })));
    await applied(stripeEvent('invoice.paid', stripe.invoice(subscriptionId, true, { at: monthsAgo(13) })));

    const body = await earnings(creator);
    expect(body.months.map((m) => m.month)).toEqual(expectedMonths);
    expect(body.months.map((m) => m.gross_cents)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 400, 0, 0, 400]);
    expect(body.months[8]).toEqual({ month: monthOf(monthsAgo(3)), gross_cents: 400, fee_cents: 40, net_cents: 360, new_subscribers: 0, churned_subscribers: 0, unlocks: 0, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 });
    expect(body.lifetime).toEqual({ gross_cents: 1200, fee_cents: 120, net_cents: 1080, refunded_cents: 0, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 });
    expect(body).toMatchObject({ active_subscribers: 1, mrr_cents: 400 });
  });

  it('needs a session, and answers only your own earnings', async () => {
    expectProblem(await t.http.get('/api/v1/me/earnings'), 401, 'unauthorized');
    const creator = await creatorAt(300);
    const [fan, other] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    await subscribed(fan, creator);
    expect((await earnings(creator)).lifetime.gross_cents).toBe(300);
    // The fan and a stranger see their own (empty) earnings, never the creator's; no parameter names another user.
    for (const user of [fan, other]) expect(await earnings(user)).toMatchObject({ active_subscribers: 0, mrr_cents: 0, lifetime: { gross_cents: 0 } });
  });

  it('counts in MRR the subscriptions that give access now: past_due within the grace period, not after, nor ended ones', async () => {
    const creator = await creatorAt(700);
    const [a, b] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const subA = await subscribed(a, creator);
    await subscribed(b, creator);
    expect(await earnings(creator)).toMatchObject({ active_subscribers: 2, mrr_cents: 1400 });
    const day = 86_400;
    const pastDue = stripe.updateSubscription(subA, { status: 'past_due', periodStart: nowSeconds() - 31 * day, periodEnd: nowSeconds() - day });
    await applied(stripeEvent('customer.subscription.updated', pastDue));
    expect(await earnings(creator)).toMatchObject({ active_subscribers: 2, mrr_cents: 1400 });
    const beyond = stripe.updateSubscription(subA, { periodStart: nowSeconds() - 34 * day, periodEnd: nowSeconds() - 4 * day });
    await applied(stripeEvent('customer.subscription.updated', beyond));
    expect(await earnings(creator)).toMatchObject({ active_subscribers: 1, mrr_cents: 700 });
    const [revenue] = await t.sql<{ subscribers: number; monthly_cents: string }>('select subscribers, monthly_cents from subscription_revenue where creator_id = ?', [creator.id]);
    expect(revenue).toEqual({ subscribers: 1, monthly_cents: '700' });

    // The triggers keep every creator's totals equal to the subscriptions, also through bulk SQL writes.
    await t.sql(
      `insert into subscriptions (id, subscriber_id, creator_id, status, price_cents, created_at, updated_at)
         select uuid_generate_v7(), u.id, ?, 'active', 300, now(), now() from users u where u.id in (?, ?)
         on conflict (subscriber_id, creator_id) do nothing`,
      [b.id, a.id, creator.id],
    );
    await t.sql(`update subscriptions set price_cents = price_cents + 1 where status = 'active'`);
    await t.sql(`delete from subscriptions where creator_id = ? and subscriber_id = ?`, [b.id, a.id]);
    const [drift] = await t.sql<{ n: number }>(
      `select count(*)::int as n
         from (select creator_id, currency, count(*) as subscribers, sum(price_cents) as monthly from subscriptions
                where status in ('active', 'trialing') group by 1, 2) s
         full join subscription_revenue r using (creator_id, currency)
        where coalesce(s.subscribers, 0) <> coalesce(r.subscribers, 0) or coalesce(s.monthly, 0) <> coalesce(r.monthly_cents, 0)`,
    );
    expect(drift.n).toBe(0);
  });

  it('keeps the ledger append-only', async () => {
    const creator = await creatorAt(200);
    await subscribed(await createSignedInUser(t), creator);
    await expect(t.sql('update earnings_entries set gross_cents = 1 where creator_id = ?', [creator.id])).rejects.toThrow(/append-only/);
    await expect(t.sql('delete from earnings_entries where creator_id = ?', [creator.id])).rejects.toThrow(/append-only/);
  });

  it('takes PLATFORM_FEE_PERCENT of the gross, rounded half up, from Stripe (Connect) or computed (platform collects)', async () => {
    expect(t.config.connect.feePercent).toBe(10);
    const creator = await creatorAt(995);
    await subscribed(await createSignedInUser(t), creator);
    expect((await earnings(creator)).lifetime).toEqual({ gross_cents: 995, fee_cents: 100, net_cents: 895, refunded_cents: 0, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 });
  });
});

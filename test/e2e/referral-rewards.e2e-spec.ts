import { randomBytes } from 'node:crypto';
import { connectPayouts } from '../factories/payouts';
import { as, createPost } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, BillingSuite, creatorAt as creatorAtIn, paySubscription, payUnlock, useBillingApp } from '../support/billing';
import { stripeEvent } from '../support/stripe-events';
import { nowSeconds, StripeObject } from '../support/stripe-server';
import { drained } from '../support/wait';

const DAY = 86_400;

interface Ledger {
  kind: string;
  amount_cents: number;
  gross_cents: number;
  counterparty_id: string | null;
  stripe_object_id: string;
}

// The referrer earns REFERRAL_SHARE_PERCENT (10 %) of the platform's fee (PLATFORM_FEE_PERCENT, 10 %: the application
// fee with Connect, the ledger's own 10 % when the platform collects): 1 % of what fans pay a referred creator.
describe.each(['true', 'false'])('Referral rewards (docs/billing.md#referral-rewards), CONNECT_REQUIRED=%s', (connectRequired) => {
  const billing: BillingSuite = useBillingApp({ CONNECT_REQUIRED: connectRequired });
  const { t, stripe } = billing;

  /** Applies a Stripe event, then waits until the outbox work it recorded (the share, its transfer) is done. */
  const applied = async (event: StripeObject) => {
    await appliedTo(t, event);
    await drained(t);
  };

  /** A referrer (with a connected account that can receive transfers unless `connected: false`) and a creator they referred. */
  const referral = async (options: { connected?: boolean; price?: number } = {}) => {
    const referrer = await createSignedInUser(t);
    const account = options.connected === false ? null : await connectPayouts(t, stripe, referrer);
    const code = `REF-${randomBytes(6).toString('hex')}`;
    await as(t, referrer).post('/referral-codes', { code }).expect(201);
    const creator = await creatorAtIn(t, options.price ?? 1000, stripe);
    await t.sql(
      `insert into referrals (id, referral_code_id, referrer_id, referred_user_id)
       select gen_random_uuid(), id, ?, ? from referral_codes where code = ?`,
      [referrer.id, creator.id, code],
    );
    return { referrer, account, creator };
  };

  const subscribe = async (fan: SignedInUser, creator: SignedInUser, at?: number) => {
    const { session, subscription } = await paySubscription(billing, fan, creator);
    await applied(stripeEvent('checkout.session.completed', session));
    const invoice = stripe.invoice(subscription.id, true, { first: true, at });
    await applied(stripeEvent('invoice.paid', invoice));
    return { subscriptionId: subscription.id as string, invoice, paymentIntent: stripe.invoicePaymentIntent(invoice.id) };
  };

  const unlock = async (buyer: SignedInUser, creator: SignedInUser, price: number, created?: number) => {
    const post = await createPost(t, creator, { content: 'pay per view', price_cents: price });
    const paid = await payUnlock(billing, buyer, post.id);
    await applied(stripeEvent('checkout.session.completed', paid.session, { created }));
    return paid;
  };

  const ledgerOf = (user: SignedInUser, kinds: string[]) =>
    t.sql<Ledger>(
      `select kind, amount_cents, gross_cents, counterparty_id, stripe_object_id from earnings_entries where creator_id = ? and kind in (${kinds.map(() => '?').join(', ')})
        order by occurred_at, kind, amount_cents`,
      [user.id, ...kinds],
    );
  const transfersTo = (account: string | null) => [...stripe.ledger.transfers.values()].filter((tr) => tr.destination === account && tr.metadata?.referral_of);
  const earnedFrom = async (referrer: SignedInUser) =>
    Object.fromEntries(((await as(t, referrer).get('/me/referrals').expect(200)).body.data as { user: { id: string }; earned_cents: number }[]).map((r) => [r.user.id, r.earned_cents]));
  const earnings = async (user: SignedInUser) => (await as(t, user).get('/me/earnings').expect(200)).body;

  it('pays the share of a subscription payment and of an unlock to the referrer, once, and shows it', async () => {
    const { referrer, account, creator } = await referral();
    const [fan, buyer] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const { invoice } = await subscribe(fan, creator);
    const { session } = await unlock(buyer, creator, 500);

    const transfers = transfersTo(account);
    expect(transfers.map((tr) => [tr.metadata.referral_of, tr.amount, tr.currency]).sort()).toEqual(
      [
        [invoice.id, 10, 'usd'],
        [session.id, 5, 'usd'],
      ].sort(),
    );
    const keys = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/transfers').map((r) => r.idempotencyKey);
    expect(keys.sort()).toEqual([`x18-referral:${invoice.id}`, `x18-referral:${session.id}`].sort());
    expect((await ledgerOf(referrer, ['referral_share', 'transfer'])).map((e) => [e.kind, e.amount_cents, e.gross_cents]).sort()).toEqual(
      [
        ['referral_share', 10, 0],
        ['referral_share', 5, 0],
        ['transfer', 10, 0],
        ['transfer', 5, 0],
      ].sort(),
    );
    const shares = await ledgerOf(referrer, ['referral_share']);
    expect(shares.every((e) => e.counterparty_id === creator.id)).toBe(true);

    // The same invoice again (Stripe re-sends it as a new event, and the same event twice), the session too: paid once.
    await applied(stripeEvent('invoice.paid', invoice));
    await applied(stripeEvent('checkout.session.completed', stripe.sessions.get(session.id)!));
    expect(transfersTo(account)).toHaveLength(2);
    expect(await ledgerOf(referrer, ['referral_share'])).toHaveLength(2);

    expect(await earnedFrom(referrer)).toEqual({ [creator.id]: 15 });
    const body = await earnings(referrer);
    expect(body.lifetime).toEqual({ gross_cents: 0, fee_cents: 0, net_cents: 0, refunded_cents: 0, referral_cents: 15, tip_cents: 0, gift_cents: 0, discount_cents: 0 });
    expect(body.months.at(-1)).toMatchObject({ gross_cents: 0, referral_cents: 15 });
    // The creator's own earnings are untouched by the share: the platform pays it out of its fee.
    const own = await earnings(creator);
    expect(own.lifetime).toEqual({ gross_cents: 1500, fee_cents: 150, net_cents: 1350, refunded_cents: 0, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 });
  });

  it('earns nothing on the payments of a creator nobody referred, nor on the referrer’s own', async () => {
    const creator = await creatorAtIn(t, 700, stripe);
    const before = stripe.requests.filter((r) => r.path === '/v1/transfers').length;
    await subscribe(await createSignedInUser(t), creator);
    expect(stripe.requests.filter((r) => r.path === '/v1/transfers').length).toBe(before);
    expect((await t.sql('select 1 from referral_shares where referred_id = ?', [creator.id])).length).toBe(0);
  });

  it('earns for 12 months from the first payment only', async () => {
    const { referrer, account, creator } = await referral();
    const now = nowSeconds();
    const first = now - 400 * DAY; // more than a year ago: the window ends before today
    const [buyer1, buyer2, buyer3] = await Promise.all([1, 2, 3].map(() => createSignedInUser(t)));
    const firstPaid = await unlock(buyer1, creator, 1000, first);
    const inside = await unlock(buyer2, creator, 2000, first + 300 * DAY);
    const after = await unlock(buyer3, creator, 3000, now);

    expect(transfersTo(account).map((tr) => [tr.metadata.referral_of, tr.amount]).sort()).toEqual(
      [
        [firstPaid.session.id, 10],
        [inside.session.id, 20],
      ].sort(),
    );
    const [row] = await t.sql<{ rewards_from: Date }>('select rewards_from from referrals where referred_user_id = ?', [creator.id]);
    expect(new Date(row.rewards_from).getTime()).toBe(first * 1000);
    expect((await ledgerOf(referrer, ['referral_share'])).map((e) => e.stripe_object_id)).not.toContain(after.session.id);
    expect(await earnedFrom(referrer)).toEqual({ [creator.id]: 30 });
    // Lifetime counts both; the 12 months show the one inside them.
    const body = await earnings(referrer);
    expect(body.lifetime.referral_cents).toBe(30);
    expect(body.months.reduce((s: number, m: { referral_cents: number }) => s + m.referral_cents, 0)).toBe(20);
  });

  it('reverses the share on a partial and a full refund, in proportion, at Stripe and in the ledger', async () => {
    const { referrer, account, creator } = await referral();
    const buyer = await createSignedInUser(t);
    const { session, paymentIntent } = await unlock(buyer, creator, 1000);
    const [transfer] = transfersTo(account);
    expect(transfer.amount).toBe(10);

    await applied(stripeEvent('charge.refunded', stripe.refund(paymentIntent.id, { amount: 300 })));
    let stored = stripe.ledger.transfers.get(transfer.id)!;
    expect(stored.amount_reversed).toBe(3);
    expect(await earnedFrom(referrer)).toEqual({ [creator.id]: 7 });

    const whole = stripe.refund(paymentIntent.id);
    await applied(stripeEvent('charge.refunded', whole));
    await applied(stripeEvent('charge.refunded', whole)); // a repeat reverses nothing more
    stored = stripe.ledger.transfers.get(transfer.id)!;
    expect(stored.reversals.data.map((r: StripeObject) => [r.amount, r.metadata.referral_of])).toEqual([
      [3, session.id],
      [7, session.id],
    ]);
    expect((await ledgerOf(referrer, ['referral_share', 'referral_share_reversal', 'transfer', 'transfer_reversal'])).map((e) => [e.kind, e.amount_cents]).sort()).toEqual(
      [
        ['referral_share', 10],
        ['referral_share_reversal', -3],
        ['referral_share_reversal', -7],
        ['transfer', 10],
        ['transfer_reversal', -3],
        ['transfer_reversal', -7],
      ].sort(),
    );
    expect(await earnedFrom(referrer)).toEqual({ [creator.id]: 0 });
    expect((await earnings(referrer)).lifetime.referral_cents).toBe(0);
  });

  it('reverses the share when a dispute is lost, not while it is open or when it is won', async () => {
    const { referrer, account, creator } = await referral();
    const [fan, buyer] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const { paymentIntent } = await subscribe(fan, creator);
    const won = await unlock(buyer, creator, 2000);
    const [subscriptionShare] = transfersTo(account).filter((tr) => tr.amount === 10);
    const [unlockShare] = transfersTo(account).filter((tr) => tr.amount === 20);

    const lost = stripe.dispute(paymentIntent.id);
    await applied(stripeEvent('charge.dispute.created', lost));
    expect(stripe.ledger.transfers.get(subscriptionShare.id)!.amount_reversed).toBe(0);
    await applied(stripeEvent('charge.dispute.closed', stripe.dispute(paymentIntent.id, { id: lost.id, status: 'lost' })));
    expect(stripe.ledger.transfers.get(subscriptionShare.id)!.amount_reversed).toBe(10);

    const disputed = stripe.dispute(won.paymentIntent.id);
    await applied(stripeEvent('charge.dispute.created', disputed));
    await applied(stripeEvent('charge.dispute.closed', stripe.dispute(won.paymentIntent.id, { id: disputed.id, status: 'won' })));
    expect(stripe.ledger.transfers.get(unlockShare.id)!.amount_reversed).toBe(0);
    expect(await earnedFrom(referrer)).toEqual({ [creator.id]: 20 });
  });

  it('keeps the share pending while the referrer cannot receive transfers, and pays what is left once they can', async () => {
    const { referrer, creator } = await referral({ connected: false });
    const [buyer1, buyer2] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const first = await unlock(buyer1, creator, 1000);
    const second = await unlock(buyer2, creator, 2000);
    expect(stripe.requests.filter((r) => r.path === '/v1/transfers' && r.body.metadata?.referral_of === first.session.id)).toHaveLength(0);
    expect((await ledgerOf(referrer, ['referral_share'])).map((e) => e.amount_cents).sort()).toEqual([10, 20]);
    expect(await earnedFrom(referrer)).toEqual({ [creator.id]: 30 });

    // Half of the first payment is refunded while the share is pending: booked, nothing to reverse at Stripe.
    await applied(stripeEvent('charge.refunded', stripe.refund(first.paymentIntent.id, { amount: 500 })));
    expect((await ledgerOf(referrer, ['referral_share_reversal'])).map((e) => e.amount_cents)).toEqual([-5]);

    const account = await connectPayouts(t, stripe, referrer);
    await drained(t);
    expect(transfersTo(account).map((tr) => [tr.metadata.referral_of, tr.amount]).sort()).toEqual(
      [
        [first.session.id, 5],
        [second.session.id, 20],
      ].sort(),
    );
    const pending = await t.sql('select 1 from referral_shares where referrer_id = ? and stripe_transfer_id is null', [referrer.id]);
    expect(pending).toHaveLength(0);
    // The rest of the first payment refunded after it was paid: the transfer is reversed for it.
    await applied(stripeEvent('charge.refunded', stripe.refund(first.paymentIntent.id)));
    const firstTransfer = transfersTo(account).find((tr) => tr.metadata.referral_of === first.session.id)!;
    expect(stripe.ledger.transfers.get(firstTransfer.id)!.amount_reversed).toBe(5);
    expect(await earnedFrom(referrer)).toEqual({ [creator.id]: 20 });
    expect((await earnings(referrer)).lifetime.referral_cents).toBe(20);
  });
});

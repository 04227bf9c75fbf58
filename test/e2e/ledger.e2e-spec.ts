import { accountDeauthorized } from '../factories/payouts';
import { as, createPost } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, BillingSuite, creatorAt as creatorAtIn, paySubscription, payUnlock, processed, useBillingApp } from '../support/billing';
import { deliver, stripeEvent } from '../support/stripe-events';
import { nowSeconds, StripeObject, stripeId } from '../support/stripe-server';
import { drained } from '../support/wait';

/** A ledger row as reconciliation reads it: what it stands for at Stripe, and what it moved. */
interface Entry {
  kind: string;
  stripe_object_id: string;
  stripe_charge_id: string | null;
  amount_cents: number;
  gross_cents: number;
  fee_cents: number;
  net_cents: number;
  counterparty_id: string | null;
}

const shuffled = <T>(list: T[]): T[] => [...list].sort(() => Math.random() - 0.5);
/** The same Stripe object in a new event (Stripe re-sending, or another event type carrying it): a new event id. */
const again = (event: StripeObject): StripeObject => stripeEvent(event.type, event.data.object);

// Connect mode (CONNECT_REQUIRED=true): creators are onboarded, checkouts are destination charges with an application
// fee of PLATFORM_FEE_PERCENT (10 %), so fees and transfers reach the platform's webhook as they would in production.
describe('The ledger records every money movement Stripe reports, once (docs/billing.md#earnings)', () => {
  const billing: BillingSuite = useBillingApp({ CONNECT_REQUIRED: 'true' });
  const { t, stripe } = billing;
  const creatorAt = (cents: number) => creatorAtIn(t, cents, stripe);
  const applied = (event: StripeObject) => appliedTo(t, event);
  const entries = (creator: SignedInUser, kinds?: string[]) =>
    t.sql<Entry>(
      `select kind, stripe_object_id, stripe_charge_id, amount_cents, gross_cents, fee_cents, net_cents, counterparty_id
         from earnings_entries where creator_id = ? ${kinds ? `and kind in (${kinds.map(() => '?').join(', ')})` : ''}
        order by occurred_at, kind, stripe_object_id`,
      [creator.id, ...(kinds ?? [])],
    );
  /** Delivers every event (each twice, shuffled, in concurrent waves) and waits until all are applied. */
  const deliverAll = async (events: StripeObject[]) => {
    const deliveries = shuffled(events.flatMap((e) => [e, e]));
    for (let i = 0; i < deliveries.length; i += 4) await Promise.all(deliveries.slice(i, i + 4).map((e) => deliver(t, e).expect(200)));
    for (const event of events) expect(await processed(t, event.id)).toBeTruthy();
    await drained(t);
  };
  const subscribed = async (fan: SignedInUser, creator: SignedInUser) => {
    const { session, subscription } = await paySubscription(billing, fan, creator);
    const first = stripe.invoice(subscription.id, true, { first: true });
    await applied(stripeEvent('checkout.session.completed', session));
    await applied(stripeEvent('invoice.paid', first));
    return { subscriptionId: subscription.id as string, first };
  };
  const chargeOf = (invoice: StripeObject) => stripe.invoicePaymentIntent(invoice.id).latest_charge as string;
  const accountOf = (user: SignedInUser) => stripe.connect.accountsOf(user.id)[0].id as string;

  it('records each paid invoice once, whatever its billing_reason, with what it took', async () => {
    const creator = await creatorAt(1000);
    const fan = await createSignedInUser(t);
    const { subscriptionId, first } = await subscribed(fan, creator);
    const renewal = stripe.invoice(subscriptionId, true);
    const proration = stripe.invoice(subscriptionId, true, { billingReason: 'subscription_update', amount: 350, applicationFee: 35 });
    const manual = stripe.invoice(subscriptionId, true, { billingReason: 'manual', amount: 500 });
    const credited = stripe.invoice(subscriptionId, true, { billingReason: 'subscription_update', amount: 0 }); // paid by credit: no money moved
    const open = stripe.invoice(subscriptionId, false, { billingReason: 'subscription_cycle' });
    const events = [renewal, proration, manual, credited].map((invoice) => stripeEvent('invoice.paid', invoice));
    await deliverAll([...events, stripeEvent('invoice.payment_failed', open)]);
    // Stripe re-sending the same invoices (new event ids), in reverse order: nothing more.
    await deliverAll(events.reverse().map(again));

    const payment = (invoice: StripeObject, amount: number, fee: number) => ({
      kind: 'subscription_payment',
      stripe_object_id: invoice.id,
      stripe_charge_id: chargeOf(invoice),
      amount_cents: amount,
      gross_cents: amount,
      fee_cents: fee,
      net_cents: amount - fee,
      counterparty_id: fan.id,
    });
    const rows = await entries(creator, ['subscription_payment']);
    expect(rows.sort((a, b) => a.stripe_object_id.localeCompare(b.stripe_object_id))).toEqual(
      [payment(first, 1000, 100), payment(renewal, 1000, 100), payment(proration, 350, 35), payment(manual, 500, 50)].sort((a, b) =>
        a.stripe_object_id.localeCompare(b.stripe_object_id),
      ),
    );
  });

  it("books an offer's discount on a paid invoice (total_discount_amounts) in its month, not in gross", async () => {
    const creator = await creatorAt(1000);
    const fan = await createSignedInUser(t);
    const { subscriptionId } = await subscribed(fan, creator);
    const discounted = stripe.invoice(subscriptionId, true, { amount: 800, discount: 200 });
    await deliverAll([stripeEvent('invoice.paid', discounted)]);
    expect(await t.sql(`select gross_cents, amount_cents, discount_cents from earnings_entries where stripe_object_id = ?`, [discounted.id])).toEqual([
      { gross_cents: 800, amount_cents: 800, discount_cents: 200 },
    ]);
    const body = (await as(t, creator).get('/me/earnings').expect(200)).body as { lifetime: Record<string, number>; months: Record<string, number>[] };
    expect(body.lifetime).toMatchObject({ gross_cents: 1800, discount_cents: 200 });
    expect(body.months[11]).toMatchObject({ gross_cents: 1800, discount_cents: 200 });
  });

  it('records a one-time payment (an unlock) once, by its checkout session and charge', async () => {
    const creator = await creatorAt(100);
    const buyer = await createSignedInUser(t);
    const post = await createPost(t, creator, { content: 'ppv', price_cents: 700 });
    const { session, paymentIntent } = await payUnlock(billing, buyer, post.id);
    const completed = stripeEvent('checkout.session.completed', session);
    await deliverAll([completed, again(completed), stripeEvent('checkout.session.async_payment_succeeded', session)]);
    expect(await entries(creator, ['unlock'])).toEqual([
      { kind: 'unlock', stripe_object_id: session.id, stripe_charge_id: paymentIntent.latest_charge, amount_cents: 700, gross_cents: 700, fee_cents: 70, net_cents: 630, counterparty_id: buyer.id },
    ]);
  });

  it('records each refund of an unlock once, partial ones too, in any order and from any refund event', async () => {
    const creator = await creatorAt(100);
    const buyer = await createSignedInUser(t);
    const post = await createPost(t, creator, { content: 'ppv', price_cents: 600 });
    const { session, paymentIntent } = await payUnlock(billing, buyer, post.id);
    await applied(stripeEvent('checkout.session.completed', session));
    const partial = stripe.refund(paymentIntent.id, { amount: 200 });
    const rest = stripe.refund(paymentIntent.id);
    const [second, first] = stripe.ledger.refundsOf(paymentIntent.latest_charge); // newest first
    // The whole refund's event first, then the partial one's, then the refund objects' own events, each twice.
    await deliverAll([
      stripeEvent('charge.refunded', rest),
      stripeEvent('charge.refunded', partial),
      stripeEvent('refund.created', first),
      stripeEvent('refund.created', second),
      stripeEvent('charge.refund.updated', second),
      stripeEvent('refund.updated', first),
    ]);
    const charge = paymentIntent.latest_charge as string;
    // Fee parts from the refunded totals: 10 % of 200, then 10 % of 600 less what was taken back.
    const rows = await entries(creator, ['refund']); // recorded in the same second: in the refunds' order
    expect(rows.sort((a, b) => (a.stripe_object_id === first.id ? -1 : b.stripe_object_id === first.id ? 1 : 0))).toEqual([
      { kind: 'refund', stripe_object_id: first.id, stripe_charge_id: charge, amount_cents: -200, gross_cents: -200, fee_cents: -20, net_cents: -180, counterparty_id: buyer.id },
      { kind: 'refund', stripe_object_id: second.id, stripe_charge_id: charge, amount_cents: -400, gross_cents: -400, fee_cents: -40, net_cents: -360, counterparty_id: buyer.id },
    ]);
    expect((await t.sql<{ status: string }>('select status from post_unlocks where user_id = ? and post_id = ?', [buyer.id, post.id]))[0].status).toBe('refunded');
    const body = (await as(t, creator).get('/me/earnings').expect(200)).body;
    expect(body.lifetime).toEqual({ gross_cents: 0, fee_cents: 0, net_cents: 0, refunded_cents: 600, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 });
  });

  it('records partial refunds of a subscription invoice, their fee parts adding up to the fee without drift', async () => {
    const creator = await creatorAt(999);
    const fan = await createSignedInUser(t);
    const { first } = await subscribed(fan, creator);
    const intent = stripe.invoicePaymentIntent(first.id);
    // Three thirds of 999 at a fee of 100 (99.9 rounded): 33.3, 66.6 and 99.9 of the fee, cumulatively rounded.
    const events = [1, 2, 3].map(() => stripeEvent('charge.refunded', stripe.refund(intent.id, { amount: 333 })));
    await deliverAll(shuffled(events));
    const refunds = stripe.ledger.refundsOf(intent.latest_charge).reverse();
    const row = (refund: StripeObject, fee: number) => ({
      kind: 'refund',
      stripe_object_id: refund.id,
      stripe_charge_id: intent.latest_charge,
      amount_cents: -333,
      gross_cents: -333,
      fee_cents: -fee,
      net_cents: -333 + fee,
      counterparty_id: fan.id,
    });
    const rows = await entries(creator, ['refund']);
    expect(rows.sort((a, b) => refunds.findIndex((r) => r.id === a.stripe_object_id) - refunds.findIndex((r) => r.id === b.stripe_object_id))).toEqual([
      row(refunds[0], 33),
      row(refunds[1], 34),
      row(refunds[2], 33),
    ]);
    const [sums] = await t.sql<{ gross: number; fee: number }>(
      `select sum(gross_cents)::int as gross, sum(fee_cents)::int as fee from earnings_entries where creator_id = ? and kind in ('subscription_payment', 'refund')`,
      [creator.id],
    );
    expect(sums).toEqual({ gross: 0, fee: 0 });
  });

  it('counts refunds recorded the old way (one row per refunded total) and records only the refunds beyond them', async () => {
    const creator = await creatorAt(100);
    const [buyer, other] = [await createSignedInUser(t), await createSignedInUser(t)];
    const post = await createPost(t, creator, { content: 'ppv', price_cents: 500 });
    const legacyRefund = async (charge: string, intent: string, buyerId: string, total: number) =>
      t.sql(
        `insert into earnings_entries (id, creator_id, kind, gross_cents, fee_cents, net_cents, amount_cents, currency, counterparty_id,
                                       stripe_object_id, stripe_event_id, stripe_charge_id, stripe_payment_intent_id, occurred_at)
         values (uuid_generate_v7(), ?, 'refund', ?, ?, ?, ?, 'usd', ?, ?, ?, ?, ?, now() - interval '1 minute')`,
        [creator.id, -total, -total / 10, -total + total / 10, -total, buyerId, `${charge}:refunded:${total}`, stripeId('evt'), charge, intent],
      );

    // A charge refunded 200 before this change (recorded as `ch_…:refunded:200`), then 300 more.
    const paid = await payUnlock(billing, buyer, post.id);
    await applied(stripeEvent('checkout.session.completed', paid.session));
    const charge = paid.paymentIntent.latest_charge as string;
    stripe.refund(paid.paymentIntent.id, { amount: 200 });
    await legacyRefund(charge, paid.paymentIntent.id, buyer.id, 200);
    const whole = stripe.refund(paid.paymentIntent.id);
    await deliverAll([stripeEvent('charge.refunded', whole), ...stripe.ledger.refundsOf(charge).map((r) => stripeEvent('refund.updated', r))]);
    const [newest] = stripe.ledger.refundsOf(charge);
    expect(await entries(creator, ['refund'])).toEqual([
      { kind: 'refund', stripe_object_id: `${charge}:refunded:200`, stripe_charge_id: charge, amount_cents: -200, gross_cents: -200, fee_cents: -20, net_cents: -180, counterparty_id: buyer.id },
      { kind: 'refund', stripe_object_id: newest.id, stripe_charge_id: charge, amount_cents: -300, gross_cents: -300, fee_cents: -30, net_cents: -270, counterparty_id: buyer.id },
    ]);

    // A charge refunded in full the old way: its refund is not recorded again.
    const paidOther = await payUnlock(billing, other, post.id);
    await applied(stripeEvent('checkout.session.completed', paidOther.session));
    const otherCharge = paidOther.paymentIntent.latest_charge as string;
    const full = stripe.refund(paidOther.paymentIntent.id);
    await legacyRefund(otherCharge, paidOther.paymentIntent.id, other.id, 500);
    await deliverAll([stripeEvent('charge.refunded', full)]);
    expect((await entries(creator, ['refund'])).filter((r) => r.stripe_charge_id === otherCharge).map((r) => r.stripe_object_id)).toEqual([`${otherCharge}:refunded:500`]);
  });

  it('records a dispute when its funds are withdrawn and again when reinstated, once each; a lost one once; an inquiry never', async () => {
    const creator = await creatorAt(800);
    const [fan, buyer, asker] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
    const { first } = await subscribed(fan, creator);
    const post = await createPost(t, creator, { content: 'ppv', price_cents: 400 });
    const bought = await payUnlock(billing, buyer, post.id);
    await applied(stripeEvent('checkout.session.completed', bought.session));
    const asked = await payUnlock(billing, asker, post.id);
    await applied(stripeEvent('checkout.session.completed', asked.session));

    const won = stripe.dispute(stripe.invoicePaymentIntent(first.id).id);
    const lost = stripe.dispute(bought.paymentIntent.id);
    const inquiry = stripe.dispute(asked.paymentIntent.id, { status: 'warning_needs_response' });
    await deliverAll([
      stripeEvent('charge.dispute.created', won),
      stripeEvent('charge.dispute.funds_withdrawn', won),
      stripeEvent('charge.dispute.closed', { ...won, status: 'won' }),
      stripeEvent('charge.dispute.funds_reinstated', { ...won, status: 'won' }),
      // The lost one's opening was never delivered: its closing records the withdrawal.
      stripeEvent('charge.dispute.closed', { ...lost, status: 'lost' }),
      stripeEvent('charge.dispute.created', inquiry),
      stripeEvent('charge.dispute.closed', { ...inquiry, status: 'warning_closed' }),
    ]);
    const rows = await entries(creator, ['dispute', 'dispute_won']);
    const row = (kind: string, dispute: StripeObject, counterparty: string, sign: number) => ({
      kind,
      stripe_object_id: dispute.id,
      stripe_charge_id: dispute.charge,
      amount_cents: sign * dispute.amount,
      gross_cents: sign * dispute.amount,
      fee_cents: (sign * dispute.amount) / 10,
      net_cents: (sign * dispute.amount * 9) / 10,
      counterparty_id: counterparty,
    });
    expect(rows.sort((a, b) => (a.kind + a.stripe_object_id).localeCompare(b.kind + b.stripe_object_id))).toEqual(
      [row('dispute', won, fan.id, -1), row('dispute_won', won, fan.id, 1), row('dispute', lost, buyer.id, -1)].sort((a, b) =>
        (a.kind + a.stripe_object_id).localeCompare(b.kind + b.stripe_object_id),
      ),
    );
  });

  it('records application fees and their refunds, transfers and their reversals, for the account of the creator (deauthorized too)', async () => {
    const creator = await creatorAt(500);
    const account = accountOf(creator);
    const platformCharge = stripeId('ch');
    const fee = stripe.ledger.applicationFee(account, 150, { originatingCharge: platformCharge });
    const feeCreated = stripeEvent('application_fee.created', fee);
    const firstFeeRefund = stripeEvent('application_fee.refunded', stripe.ledger.refundApplicationFee(fee.id, 50));
    stripe.ledger.refundApplicationFee(fee.id);
    const secondFeeRefund = stripeEvent('application_fee.refund.updated', stripe.ledger.lastFeeRefund(fee.id));

    const transfer = stripe.ledger.transfer(account, 1350, { sourceTransaction: platformCharge });
    const transferCreated = stripeEvent('transfer.created', transfer);
    const firstReversal = stripeEvent('transfer.reversed', stripe.ledger.reverseTransfer(transfer.id, 300));
    const secondReversal = stripeEvent('transfer.reversed', stripe.ledger.reverseTransfer(transfer.id));
    // Fee refunds and reversals before the fee and the transfer themselves: each is recorded once all the same.
    await deliverAll([secondFeeRefund, firstReversal, feeCreated, secondReversal, firstFeeRefund, transferCreated]);
    await deliverAll([feeCreated, firstFeeRefund, transferCreated, secondReversal].map(again));

    const fees = stripe.ledger.applicationFees.get(fee.id)!.refunds.data;
    const reversals = stripe.ledger.transfers.get(transfer.id)!.reversals.data;
    const movement = (kind: string, id: string, amount: number) => ({
      kind,
      stripe_object_id: id,
      stripe_charge_id: platformCharge,
      amount_cents: amount,
      gross_cents: 0,
      fee_cents: 0,
      net_cents: 0,
      counterparty_id: null,
    });
    const byId = (a: Entry, b: Entry) => (a.kind + a.stripe_object_id).localeCompare(b.kind + b.stripe_object_id);
    expect((await entries(creator, ['application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal'])).sort(byId)).toEqual(
      [
        movement('application_fee', fee.id, 150),
        movement('application_fee_refund', fees[0].id, -50),
        movement('application_fee_refund', fees[1].id, -100),
        movement('transfer', transfer.id, 1350),
        movement('transfer_reversal', reversals[0].id, -300),
        movement('transfer_reversal', reversals[1].id, -1050),
      ].sort(byId),
    );
    // Not earnings: the creator's sums are unchanged.
    expect((await as(t, creator).get('/me/earnings').expect(200)).body.lifetime).toEqual({ gross_cents: 0, fee_cents: 0, net_cents: 0, refunded_cents: 0, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 });

    // The creator disconnects the account: what Stripe moves for it later is still theirs.
    await applied(accountDeauthorized(account));
    const late = stripe.ledger.transfer(account, 200);
    await deliverAll([stripeEvent('transfer.reversed', stripe.ledger.reverseTransfer(late.id))]);
    expect((await entries(creator, ['transfer', 'transfer_reversal'])).filter((r) => r.stripe_charge_id === null).map((r) => [r.kind, r.amount_cents])).toEqual([
      ['transfer', 200],
      ['transfer_reversal', -200],
    ]);

    // An account that is none of our creators' records nothing.
    const stranger = stripe.ledger.transfer('acct_1NotOneOfOurs000', 999);
    await deliverAll([stripeEvent('transfer.created', stranger), stripeEvent('application_fee.created', stripe.ledger.applicationFee('acct_1NotOneOfOurs000', 99))]);
    expect(await t.sql('select 1 from earnings_entries where stripe_object_id = ?', [stranger.id])).toEqual([]);
  });

  describe('churn: every ending of a subscription counts once', () => {
    const ended = (creator: SignedInUser) => entries(creator, ['subscriber_started', 'subscriber_ended']);
    const thisMonth = async (creator: SignedInUser) => (await as(t, creator).get('/me/earnings').expect(200)).body.months.at(-1);

    it('canceled (customer.subscription.deleted) and unpaid each end one subscription once', async () => {
      const creator = await creatorAt(300);
      const [a, b] = [await createSignedInUser(t), await createSignedInUser(t)];
      const subA = (await subscribed(a, creator)).subscriptionId;
      const subB = (await subscribed(b, creator)).subscriptionId;
      const now = nowSeconds();
      const deleted = stripeEvent('customer.subscription.deleted', stripe.updateSubscription(subA, { status: 'canceled', canceled_at: now, ended_at: now }));
      const unpaid = stripeEvent('customer.subscription.updated', stripe.updateSubscription(subB, { status: 'unpaid' }));
      await deliverAll([deleted, unpaid, again(deleted), again(unpaid)]);
      // Unpaid (every retry failed) is an ending already: it stopped giving access.
      expect((await ended(creator)).filter((r) => r.kind === 'subscriber_ended').map((r) => r.stripe_object_id).sort()).toEqual([subA, subB].sort());
      // The unpaid one is deleted later: it ended already.
      const later = stripeEvent('customer.subscription.deleted', stripe.updateSubscription(subB, { status: 'canceled', canceled_at: now, ended_at: now }));
      await deliverAll([later, again(deleted)]);

      const rows = (await ended(creator)).map((r) => [r.kind, r.stripe_object_id, r.counterparty_id, r.amount_cents]);
      expect(rows.filter((r) => r[0] === 'subscriber_ended').sort()).toEqual(
        [
          ['subscriber_ended', subA, a.id, 0],
          ['subscriber_ended', subB, b.id, 0],
        ].sort(),
      );
      expect(rows.filter((r) => r[0] === 'subscriber_started')).toHaveLength(2);
      expect(await thisMonth(creator)).toMatchObject({ new_subscribers: 2, churned_subscribers: 2 });
    });

    it('incomplete_expired counts only a subscription that had started', async () => {
      const creator = await creatorAt(300);
      const [never, started] = [await createSignedInUser(t), await createSignedInUser(t)];
      // Never paid: incomplete, then expired by Stripe. Neither new nor churned.
      const checkout = await as(t, never).post(`/users/${creator.username}/subscription`).expect(201);
      const { subscription } = stripe.completeCheckout(checkout.body.checkout_session_id, { status: 'incomplete' });
      await applied(stripeEvent('customer.subscription.created', subscription!));
      await deliverAll([stripeEvent('customer.subscription.updated', stripe.updateSubscription(subscription!.id, { status: 'incomplete_expired', ended_at: nowSeconds() }))]);
      expect((await ended(creator)).filter((r) => r.counterparty_id === never.id)).toEqual([]);

      // Seen started (active) and then reported incomplete_expired: its ending counts, once.
      const { subscriptionId } = await subscribed(started, creator);
      const expired = stripeEvent('customer.subscription.updated', stripe.updateSubscription(subscriptionId, { status: 'incomplete_expired', ended_at: nowSeconds() }));
      await deliverAll([expired, again(expired)]);
      expect((await ended(creator)).map((r) => [r.kind, r.counterparty_id]).sort()).toEqual([
        ['subscriber_ended', started.id],
        ['subscriber_started', started.id],
      ]);
      expect(await thisMonth(creator)).toMatchObject({ new_subscribers: 1, churned_subscribers: 1 });
    });
  });
});

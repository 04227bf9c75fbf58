import { expectProblem } from '../factories/http';
import { as, createPost, follow, suspend } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, seller as sellerIn, useBillingApp } from '../support/billing';
import { stripeEvent } from '../support/stripe-events';
import { StripeObject } from '../support/stripe-server';
import { drained } from '../support/wait';

interface MessageBody {
  id: string;
  sender: { id: string };
  content: string | null;
  tip_cents: number | null;
  locked: boolean;
}
interface ConversationBody {
  id: string;
  with: { id: string };
  status: string;
  unread_count: number;
  last_message: MessageBody | null;
}
interface NotificationBody {
  type: string;
  from_user: { id: string };
  post: { id: string } | null;
  tip: { amount_cents: number; currency: string } | null;
}

// Tips (docs/inbox.md#tips): POST /posts/:id/tip and POST /conversations/:id/tip, a Checkout in payment mode routed as
// unlocks are; once paid, a `tip` notification, a message with `tip_cents`, a ledger entry.
describe.each(['false', 'true'] as const)('Tips (Stripe), CONNECT_REQUIRED=%s', (mode) => {
  const required = mode === 'true';
  const billing = useBillingApp({ CONNECT_REQUIRED: mode, RATE_LIMIT_MESSAGE: '1000/1m' });
  const { t, stripe } = billing;
  const applied = (event: StripeObject) => appliedTo(t, event);
  const seller = () => sellerIn(t, stripe);

  const destinationOf = async (creator: SignedInUser) =>
    (await t.sql<{ stripe_account_id: string }>('select stripe_account_id from payout_accounts where user_id = ? and deauthorized_at is null', [creator.id]))[0]
      ?.stripe_account_id;
  const conversationsOf = async (viewer: SignedInUser) => (await as(t, viewer).get('/conversations').expect(200)).body.data as ConversationBody[];
  const conversationWith = async (viewer: SignedInUser, other: SignedInUser) => (await conversationsOf(viewer)).find((c) => c.with.id === other.id);
  const messagesIn = async (viewer: SignedInUser, conversationId: string) =>
    (await as(t, viewer).get(`/conversations/${conversationId}/messages`).expect(200)).body.data as MessageBody[];
  const tipsOf = (tipper: SignedInUser) =>
    t.sql<{ creator_id: string; post_id: string | null; conversation_id: string | null; amount_cents: number; message: string | null; status: string }>(
      'select creator_id, post_id, conversation_id, amount_cents, message, status from tips where tipper_id = ? order by created_at',
      [tipper.id],
    );
  const ledger = (creator: SignedInUser) =>
    t.sql<{ kind: string; counterparty_id: string | null; gross_cents: number; fee_cents: number; net_cents: number }>(
      `select kind, counterparty_id, gross_cents, fee_cents, net_cents from earnings_entries where creator_id = ? and kind in ('tip', 'refund') order by occurred_at, kind desc`,
      [creator.id],
    );
  const tipNotes = (creator: SignedInUser) =>
    t.sql<{ from_user_id: string; post_id: string | null; amount_cents: number; currency: string }>(
      `select from_user_id, post_id, amount_cents, currency from notifications where user_id = ? and type = 'tip'`,
      [creator.id],
    );
  const tipMessages = (tipper: SignedInUser) =>
    t.sql<{ recipient_id: string; content: string | null; tip_cents: number }>('select recipient_id, content, tip_cents from messages where sender_id = ? and tip_cents is not null', [
      tipper.id,
    ]);

  it('tips a post: Checkout with tip_for, fee and destination; once paid a notification, a message in their new conversation for both sides and a ledger entry, once; a refund takes it back', async () => {
    const [creator, fan] = [await seller(), await createSignedInUser(t)];
    const post = await createPost(t, creator, { content: 'a good post' });
    const started = await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 500, message: 'Thank you!' }).expect(201);
    expect(started.body).toEqual({ checkout_url: expect.any(String), checkout_session_id: expect.any(String) });

    const metadata = { tip_for: `post:${post.id}`, user_id: fan.id, creator_id: creator.id };
    expect(stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body).toMatchObject({
      mode: 'payment',
      client_reference_id: fan.id,
      metadata,
      line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '500' } }],
    });
    const destination = await destinationOf(creator);
    expect(!!destination).toBe(required);
    expect(stripe.checkoutParams(started.body.checkout_session_id).payment_intent_data).toEqual(
      required ? { metadata, application_fee_amount: '50', transfer_data: { destination } } : { metadata },
    );
    expect(
      await t.sql('select mode, buyer_id, creator_id, post_id, message_id, tip_for, tip_message, amount_cents from checkout_sessions where id = ?', [
        started.body.checkout_session_id,
      ]),
    ).toEqual([
      { mode: 'payment', buyer_id: fan.id, creator_id: creator.id, post_id: null, message_id: null, tip_for: `post:${post.id}`, tip_message: 'Thank you!', amount_cents: 500 },
    ]);
    // Nothing happens before Stripe says it is paid.
    expect(await tipsOf(fan)).toEqual([]);

    const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
    const completed = stripeEvent('checkout.session.completed', session);
    await applied(completed);
    await applied(completed); // Stripe delivers again
    await applied(stripeEvent('checkout.session.completed', session)); // and the same completion as a new event
    await drained(t);

    expect(await tipsOf(fan)).toEqual([{ creator_id: creator.id, post_id: post.id, conversation_id: null, amount_cents: 500, message: 'Thank you!', status: 'paid' }]);
    expect(await tipNotes(creator)).toEqual([{ from_user_id: fan.id, post_id: post.id, amount_cents: 500, currency: 'usd' }]);
    const listed = (await as(t, creator).get('/notifications?types[]=tip').expect(200)).body.data as NotificationBody[];
    expect(listed.map((n) => ({ type: n.type, from: n.from_user.id, post: n.post?.id, tip: n.tip }))).toEqual([
      { type: 'tip', from: fan.id, post: post.id, tip: { amount_cents: 500, currency: 'usd' } },
    ]);
    expect(await tipMessages(fan)).toEqual([{ recipient_id: creator.id, content: 'Thank you!', tip_cents: 500 }]);

    // The tip arrives in their conversation, created for it, active for both sides.
    const creatorSide = (await conversationWith(creator, fan))!;
    expect(creatorSide).toMatchObject({ status: 'active', unread_count: 1, last_message: { tip_cents: 500, content: 'Thank you!', sender: { id: fan.id } } });
    const fanSide = (await conversationWith(fan, creator))!;
    expect(fanSide).toMatchObject({ id: creatorSide.id, status: 'active', last_message: { tip_cents: 500, content: 'Thank you!' } });
    for (const viewer of [creator, fan]) {
      expect((await messagesIn(viewer, creatorSide.id)).map((m) => [m.sender.id, m.tip_cents, m.content, m.locked])).toEqual([[fan.id, 500, 'Thank you!', false]]);
    }

    expect(await ledger(creator)).toEqual([{ kind: 'tip', counterparty_id: fan.id, gross_cents: 500, fee_cents: 50, net_cents: 450 }]);
    const earnings = (await as(t, creator).get('/me/earnings').expect(200)).body as { lifetime: { gross_cents: number; net_cents: number } };
    expect(earnings.lifetime).toMatchObject({ gross_cents: 500, net_cents: 450, tip_cents: 500, gift_cents: 0 });

    // A full refund reverses it in the ledger and marks the tip refunded; the message stays (it was delivered).
    await applied(stripeEvent('charge.refunded', stripe.refund(paymentIntent!.id)));
    expect((await tipsOf(fan)).map((r) => r.status)).toEqual(['refunded']);
    expect(await ledger(creator)).toEqual([
      { kind: 'tip', counterparty_id: fan.id, gross_cents: 500, fee_cents: 50, net_cents: 450 },
      { kind: 'refund', counterparty_id: fan.id, gross_cents: -500, fee_cents: -50, net_cents: -450 },
    ]);
    expect(((await as(t, creator).get('/me/earnings').expect(200)).body as { lifetime: { gross_cents: number } }).lifetime.gross_cents).toBe(0);
    expect(await tipMessages(fan)).toHaveLength(1);
  });

  it('tips in a conversation: the other participant is paid and the tip message lands in that conversation; anyone else 404', async () => {
    const [creator, fan, stranger] = [await seller(), await createSignedInUser(t), await createSignedInUser(t)];
    await follow(t, creator, fan);
    const conversationId = (await as(t, fan).post('/conversations', { username: creator.username }).expect(201)).body.id as string;
    await as(t, fan).post(`/conversations/${conversationId}/messages`, { content: 'hello' }).expect(201);

    const started = await as(t, fan).post(`/conversations/${conversationId}/tip`, { amount_cents: 1000 }).expect(201);
    expect(stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body).toMatchObject({
      mode: 'payment',
      metadata: { tip_for: `conversation:${conversationId}`, user_id: fan.id, creator_id: creator.id },
      line_items: [{ price_data: { unit_amount: '1000' } }],
    });
    expectProblem(await as(t, stranger).post(`/conversations/${conversationId}/tip`, { amount_cents: 1000 }), 404, 'not_found');
    expectProblem(await as(t, fan).post('/conversations/00000000-0000-7000-8000-000000000000/tip', { amount_cents: 1000 }), 404, 'not_found');

    await applied(stripeEvent('checkout.session.completed', stripe.completeCheckout(started.body.checkout_session_id).session));
    await drained(t);
    expect((await tipsOf(fan)).map((r) => [r.conversation_id, r.post_id, r.amount_cents, r.message])).toEqual([[conversationId, null, 1000, null]]);
    for (const viewer of [creator, fan]) {
      expect((await messagesIn(viewer, conversationId)).map((m) => [m.sender.id, m.content, m.tip_cents])).toEqual([
        [fan.id, null, 1000],
        [fan.id, 'hello', null],
      ]);
    }
    expect((await conversationsOf(creator)).filter((c) => c.with.id === fan.id)).toHaveLength(1);
    expect(await tipNotes(creator)).toEqual([{ from_user_id: fan.id, post_id: null, amount_cents: 1000, currency: 'usd' }]);
    expect(await ledger(creator)).toEqual([{ kind: 'tip', counterparty_id: fan.id, gross_cents: 1000, fee_cents: 100, net_cents: 900 }]);

    // The other way round: the fan takes no payments; with CONNECT_REQUIRED=true that is 422 field payouts, as unlocks.
    const back = await as(t, creator).post(`/conversations/${conversationId}/tip`, { amount_cents: 100 });
    if (required) {
      expectProblem(back, 422, 'validation_failed');
      expect(JSON.stringify(back.body)).toContain('payouts');
    } else {
      expect(back.status).toBe(201);
    }
  });

  it('keeps a tip refunded, with no message and no notification, when the refund overtakes the checkout event', async () => {
    const [creator, fan] = [await seller(), await createSignedInUser(t)];
    const post = await createPost(t, creator, { content: 'refund first' });
    const started = await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 700, message: 'never mind' }).expect(201);
    const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
    await applied(stripeEvent('charge.refunded', stripe.refund(paymentIntent!.id)));
    await applied(stripeEvent('checkout.session.completed', session));
    await drained(t);
    expect((await tipsOf(fan)).map((r) => [r.status, r.amount_cents, r.post_id])).toEqual([['refunded', 700, post.id]]);
    expect(await tipMessages(fan)).toEqual([]);
    expect(await tipNotes(creator)).toEqual([]);
    expect((await ledger(creator)).map((e) => [e.kind, e.gross_cents]).sort()).toEqual([
      ['refund', -700],
      ['tip', 700],
    ]);
  });

  it('a dispute marks the tip disputed and takes the money back; won, it is paid again and the money returns', async () => {
    const [creator, fan] = [await seller(), await createSignedInUser(t)];
    const post = await createPost(t, creator, { content: 'disputed' });
    const started = await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 800 }).expect(201);
    const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
    await applied(stripeEvent('checkout.session.completed', session));
    const dispute = stripe.dispute(paymentIntent!.id);
    await applied(stripeEvent('charge.dispute.created', dispute));
    expect((await tipsOf(fan)).map((r) => r.status)).toEqual(['disputed']);
    const disputed = await t.sql<{ kind: string; gross_cents: number }>(
      `select kind, gross_cents from earnings_entries where creator_id = ? and kind in ('tip', 'dispute', 'dispute_won') order by kind`,
      [creator.id],
    );
    expect(disputed).toEqual([
      { kind: 'dispute', gross_cents: -800 },
      { kind: 'tip', gross_cents: 800 },
    ]);
    await applied(stripeEvent('charge.dispute.closed', { ...dispute, status: 'won' }));
    expect((await tipsOf(fan)).map((r) => r.status)).toEqual(['paid']);
    expect(((await as(t, creator).get('/me/earnings').expect(200)).body as { lifetime: { gross_cents: number } }).lifetime.gross_cents).toBe(800);
  });

  it('writes no message when a block came between the checkout and the payment; the paid tip and its ledger entry stand', async () => {
    const [creator, fan] = [await seller(), await createSignedInUser(t)];
    const post = await createPost(t, creator, { content: 'blocked later' });
    const started = await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 600, message: 'hi' }).expect(201);
    await as(t, creator).post(`/users/${fan.username}/block`).expect(200);
    await applied(stripeEvent('checkout.session.completed', stripe.completeCheckout(started.body.checkout_session_id).session));
    await drained(t);
    expect((await tipsOf(fan)).map((r) => [r.status, r.amount_cents])).toEqual([['paid', 600]]);
    expect(await tipMessages(fan)).toEqual([]);
    expect(await tipNotes(creator)).toEqual([]);
    expect((await ledger(creator)).map((e) => [e.kind, e.gross_cents])).toEqual([['tip', 600]]);
  });

  it('answers 422 for yourself, 404 for a post you cannot see, 403 across a block or to a suspended account; a locked premium post may be tipped', async () => {
    const [creator, fan] = [await seller(), await createSignedInUser(t)];
    const open = await createPost(t, creator, { content: 'open' });
    const hidden = await createPost(t, creator, { content: 'followers only', visibility: 'followers' });
    const premium = await createPost(t, creator, { content: 'premium', is_premium: true });
    expectProblem(await as(t, creator).post(`/posts/${open.id}/tip`, { amount_cents: 500 }), 422, 'validation_failed');
    expectProblem(await as(t, fan).post(`/posts/${hidden.id}/tip`, { amount_cents: 500 }), 404, 'not_found');
    expectProblem(await as(t, fan).post('/posts/00000000-0000-7000-8000-000000000000/tip', { amount_cents: 500 }), 404, 'not_found');
    expect(((await as(t, fan).get(`/posts/${premium.id}`).expect(200)).body as { locked: boolean }).locked).toBe(true);
    await as(t, fan).post(`/posts/${premium.id}/tip`, { amount_cents: 500 }).expect(201);
    await follow(t, fan, creator);
    await as(t, fan).post(`/posts/${hidden.id}/tip`, { amount_cents: 500 }).expect(201);

    const conversationId = (await as(t, fan).post('/conversations', { username: creator.username }).expect(201)).body.id as string;
    await as(t, creator).post(`/users/${fan.username}/block`).expect(200);
    expectProblem(await as(t, fan).post(`/conversations/${conversationId}/tip`, { amount_cents: 500 }), 403, 'forbidden');
    // A block hides each side's posts from the other (the access policy): the post is not there for the fan.
    expectProblem(await as(t, fan).post(`/posts/${open.id}/tip`, { amount_cents: 500 }), 404, 'not_found');

    const [other, tipper] = [await seller(), await createSignedInUser(t)];
    const theirs = (await as(t, tipper).post('/conversations', { username: other.username }).expect(201)).body.id as string;
    await suspend(t, other);
    expectProblem(await as(t, tipper).post(`/conversations/${theirs}/tip`, { amount_cents: 500 }), 403, 'forbidden');
  });

  it('validates the body: amount 100-50000 cents, a note of at most 280 characters, no unknown fields (400)', async () => {
    const [creator, fan] = [await seller(), await createSignedInUser(t)];
    const post = await createPost(t, creator, { content: 'validate me' });
    for (const body of [{}, { amount_cents: 99 }, { amount_cents: 50001 }, { amount_cents: 10.5 }, { amount_cents: '500' }, { amount_cents: 500, message: 'x'.repeat(281) }, { amount_cents: 500, extra: 1 }]) {
      expectProblem(await as(t, fan).post(`/posts/${post.id}/tip`, body), 400, 'validation_failed');
    }
    expectProblem(await as(t, fan).post('/posts/not-a-uuid/tip', { amount_cents: 500 }), 400, 'validation_failed');
    await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 50000, message: 'x'.repeat(280) }).expect(201);
    await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 100 }).expect(201);
  });

  it('answers a repeated request with the same Idempotency-Key with the first session; the same tip again reuses the open session, another amount opens its own', async () => {
    const [creator, fan] = [await seller(), await createSignedInUser(t)];
    const post = await createPost(t, creator, { content: 'tip twice' });
    const before = stripe.requestsTo('POST', '/v1/checkout/sessions').length;
    const first = await as(t, fan).post(`/posts/${post.id}/tip`).set('Idempotency-Key', 'tip-try-1').send({ amount_cents: 300 }).expect(201);
    const again = await as(t, fan).post(`/posts/${post.id}/tip`).set('Idempotency-Key', 'tip-try-1').send({ amount_cents: 300 }).expect(201);
    expect(again.body).toEqual(first.body);
    const sent = stripe.requestsTo('POST', '/v1/checkout/sessions').slice(before);
    expect(sent.map((r) => r.idempotencyKey)).toEqual([`${fan.id}:tip-try-1`]);

    const same = await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 300 }).expect(201);
    expect(same.body.checkout_session_id).toBe(first.body.checkout_session_id);
    const other = await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 400 }).expect(201);
    expect(other.body.checkout_session_id).not.toBe(first.body.checkout_session_id);
    const noted = await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 300, message: 'with a note' }).expect(201);
    expect(noted.body.checkout_session_id).not.toBe(first.body.checkout_session_id);
  });

  if (required) {
    it('answers 422 field payouts when the creator must connect and has not', async () => {
      const [creator, fan] = [await createSignedInUser(t), await createSignedInUser(t)];
      const post = await createPost(t, creator, { content: 'not connected' });
      const res = await as(t, fan).post(`/posts/${post.id}/tip`, { amount_cents: 500 });
      expectProblem(res, 422, 'validation_failed');
      expect(JSON.stringify(res.body)).toContain('payouts');
    });
  }
});

import { expectProblem } from '../factories/http';
import { as, follow } from '../factories/posts';
import { createSignedInUser, PASSWORD, SignedInUser } from '../factories/users';
import { applied as appliedTo, seller as sellerIn, useBillingApp } from '../support/billing';
import { stripeEvent } from '../support/stripe-events';
import { StripeObject } from '../support/stripe-server';
import { drained, waitFor } from '../support/wait';

interface MessageBody {
  id: string;
  content: string | null;
  locked: boolean;
  deleted_at: string | null;
}

const SECRET = 'the paid words';

// Buying a paid direct message (docs/inbox.md#buying-a-paid-message): the post purchase's path, with `message_id`.
describe('Buying a paid message (Stripe, CONNECT_REQUIRED=true)', () => {
  const billing = useBillingApp({ CONNECT_REQUIRED: 'true', RATE_LIMIT_MESSAGE: '1000/1m' });
  const { t, stripe } = billing;
  const applied = (event: StripeObject) => appliedTo(t, event);

  /** A seller and a fan in an active conversation, with a paid message from the seller. */
  async function paidMessage(): Promise<{ sender: SignedInUser; buyer: SignedInUser; conversationId: string; messageId: string }> {
    const [sender, buyer] = [await sellerIn(t, stripe), await createSignedInUser(t)];
    await follow(t, buyer, sender);
    const conversationId = (await as(t, sender).post('/conversations', { username: buyer.username }).expect(201)).body.id as string;
    const sent = await as(t, sender).post(`/conversations/${conversationId}/messages`, { content: SECRET, price_cents: 400, preview: 'buy me' }).expect(201);
    return { sender, buyer, conversationId, messageId: sent.body.id as string };
  }
  const seen = async (viewer: SignedInUser, conversationId: string, messageId: string) =>
    ((await as(t, viewer).get(`/conversations/${conversationId}/messages`).expect(200)).body.data as MessageBody[]).find((m) => m.id === messageId);
  const lastMessage = async (viewer: SignedInUser, conversationId: string) =>
    ((await as(t, viewer).get('/conversations').expect(200)).body.data as { id: string; last_message: MessageBody }[]).find((c) => c.id === conversationId)!
      .last_message;
  const unlockStatus = async (buyer: SignedInUser, messageId: string) =>
    (await t.sql<{ status: string }>('select status from message_unlocks where user_id = ? and message_id = ?', [buyer.id, messageId])).map((r) => r.status);

  it('checks out the price, unlocks for the buyer only once applied, notifies the sender and books the ledger once; a refund locks it again', async () => {
    const { sender, buyer, conversationId, messageId } = await paidMessage();
    expect(await seen(buyer, conversationId, messageId)).toMatchObject({ locked: true, content: null });

    const started = await as(t, buyer).post(`/messages/${messageId}/unlock`).expect(201);
    const destination = (await t.sql<{ stripe_account_id: string }>('select stripe_account_id from payout_accounts where user_id = ?', [sender.id]))[0]
      .stripe_account_id;
    expect(stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body).toMatchObject({
      mode: 'payment',
      client_reference_id: buyer.id,
      metadata: { message_id: messageId, user_id: buyer.id },
      line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '400' } }],
    });
    expect(stripe.checkoutParams(started.body.checkout_session_id).payment_intent_data).toEqual({
      metadata: { message_id: messageId, user_id: buyer.id },
      application_fee_amount: '40',
      transfer_data: { destination },
    });
    expect(
      await t.sql('select mode, buyer_id, creator_id, post_id, message_id, amount_cents from checkout_sessions where id = ?', [started.body.checkout_session_id]),
    ).toEqual([{ mode: 'payment', buyer_id: buyer.id, creator_id: sender.id, post_id: null, message_id: messageId, amount_cents: 400 }]);

    const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
    const completed = stripeEvent('checkout.session.completed', session);
    await applied(completed);
    await applied(completed); // Stripe delivers again: nothing more.
    await drained(t);

    expect(await seen(buyer, conversationId, messageId)).toMatchObject({ locked: false, content: SECRET });
    expect(await lastMessage(buyer, conversationId)).toMatchObject({ id: messageId, locked: false, content: SECRET });
    expect(await unlockStatus(buyer, messageId)).toEqual(['paid']);
    expect(await t.sql('select from_user_id, post_id from notifications where user_id = ? and type = ?', [sender.id, 'message_unlocked'])).toEqual([
      { from_user_id: buyer.id, post_id: null },
    ]);
    expect(
      await t.sql('select creator_id, counterparty_id, gross_cents, fee_cents, net_cents from earnings_entries where kind = ? and stripe_object_id = ?', [
        'message_unlock',
        session.id,
      ]),
    ).toEqual([{ creator_id: sender.id, counterparty_id: buyer.id, gross_cents: 400, fee_cents: 40, net_cents: 360 }]);
    const listed = (await as(t, sender).get('/notifications?types[]=message_unlocked').expect(200)).body.data as { type: string; from_user: { id: string } }[];
    expect(listed.map((n) => [n.type, n.from_user.id])).toEqual([['message_unlocked', buyer.id]]);
    expectProblem(await as(t, buyer).post(`/messages/${messageId}/unlock`), 409, 'conflict');

    // A buyer keeps what they bought after an unsend.
    await as(t, sender).delete(`/messages/${messageId}`).expect(204);
    expect(await seen(buyer, conversationId, messageId)).toMatchObject({ locked: false, content: SECRET });

    await applied(stripeEvent('charge.refunded', stripe.refund(paymentIntent!.id)));
    expect(await unlockStatus(buyer, messageId)).toEqual(['refunded']);
    expect(await seen(buyer, conversationId, messageId)).toMatchObject({ content: null });
  });

  it('keeps the purchase refunded when the refund overtakes the checkout event', async () => {
    const { buyer, conversationId, messageId } = await paidMessage();
    const started = await as(t, buyer).post(`/messages/${messageId}/unlock`).expect(201);
    const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
    await applied(stripeEvent('charge.refunded', stripe.refund(paymentIntent!.id)));
    await applied(stripeEvent('checkout.session.completed', session));
    expect(await unlockStatus(buyer, messageId)).toEqual(['refunded']);
    expect(await seen(buyer, conversationId, messageId)).toMatchObject({ locked: true, content: null });
  });

  it("keeps a bought message for its buyer when the sender's account is erased; the sender's other messages go", async () => {
    const { sender, buyer, conversationId, messageId } = await paidMessage();
    const unsold = await as(t, sender).post(`/conversations/${conversationId}/messages`, { content: 'not bought', price_cents: 300 }).expect(201);
    const started = await as(t, buyer).post(`/messages/${messageId}/unlock`).expect(201);
    await applied(stripeEvent('checkout.session.completed', stripe.completeCheckout(started.body.checkout_session_id).session));

    await as(t, sender).delete('/me').send({ current_password: PASSWORD }).expect(202);
    const left = () => t.sql<{ id: string }>('select id from messages where sender_id = ? order by id', [sender.id]);
    expect(await waitFor(left, (rows) => !rows.some((r) => r.id === unsold.body.id), 30_000)).toEqual([{ id: messageId }]);
    expect(await seen(buyer, conversationId, messageId)).toMatchObject({ locked: false, content: SECRET });
  });

  it('answers 422 to the sender or for a message without a price, 404 to a third party, an unknown or an unsent message', async () => {
    const { sender, buyer, conversationId, messageId } = await paidMessage();
    expectProblem(await as(t, sender).post(`/messages/${messageId}/unlock`), 422, 'validation_failed');
    expectProblem(await as(t, await createSignedInUser(t)).post(`/messages/${messageId}/unlock`), 404, 'not_found');
    expectProblem(await as(t, buyer).post('/messages/00000000-0000-7000-8000-000000000000/unlock'), 404, 'not_found');
    const free = await as(t, sender).post(`/conversations/${conversationId}/messages`, { content: 'free' }).expect(201);
    expectProblem(await as(t, buyer).post(`/messages/${free.body.id}/unlock`), 422, 'validation_failed');
    await as(t, sender).delete(`/messages/${messageId}`).expect(204);
    expectProblem(await as(t, buyer).post(`/messages/${messageId}/unlock`), 404, 'not_found');
  });
});

import { Job } from 'bullmq';
import { OutboxDispatcher } from '@/common/outbox/outbox-dispatcher';
import { EventJob } from '@/common/queue/queue-names';
import { expectProblem, ISO_UTC } from '../factories/http';
import { API, as } from '../factories/posts';
import { bearer, createSignedInUser, SignedInUser } from '../factories/users';
import { applied as appliedTo, creatorAt as creatorAtIn, paySubscription, useBillingApp } from '../support/billing';
import { stripeEvent } from '../support/stripe-events';
import { drained } from '../support/wait';

interface Received {
  id: string;
  conversation_id: string;
  sender_id: string;
  content: string | null;
  price_cents: number | null;
  preview: string | null;
}

describe('The welcome message (GET, PUT /me/welcome-message; sent once per subscription)', () => {
  const billing = useBillingApp({ CONNECT_REQUIRED: 'true' });
  const { t, stripe } = billing;
  const creatorAt = (cents: number) => creatorAtIn(t, cents, stripe);

  const put = (user: SignedInUser, body: object) => t.http.put(`${API}/me/welcome-message`).set('Authorization', bearer(user.accessToken)).send(body);
  const received = (fan: SignedInUser) =>
    t.sql<Received>('select id, conversation_id, sender_id, content, price_cents, preview from messages where recipient_id = ? order by created_at', [fan.id]);

  /** Checkout, payment and Stripe's events (as billing.e2e-spec does), each delivered twice with its own event id. */
  async function subscribeTwice(fan: SignedInUser, creator: SignedInUser, beforeWebhooks?: () => Promise<unknown>): Promise<void> {
    const { session, subscription } = await paySubscription(billing, fan, creator);
    if (beforeWebhooks) await beforeWebhooks();
    for (let i = 0; i < 2; i++) {
      await appliedTo(t, stripeEvent('checkout.session.completed', session));
      await appliedTo(t, stripeEvent('customer.subscription.created', subscription));
      await appliedTo(t, stripeEvent('invoice.paid', stripe.invoice(subscription.id as string, true)));
    }
    await drained(t);
  }

  /** Runs the welcome handler for the fan's activation again, as a redelivery with no receipt would (the worst case). */
  async function handleActivationAgain(fan: SignedInUser): Promise<void> {
    const [event] = await t.sql<{ id: string; payload: EventJob<'subscription.activated'>['payload']; created_at: Date }>(
      `select id, payload, created_at from outbox_events where type = 'subscription.activated' and payload->>'subscriberId' = ?`,
      [fan.id],
    );
    await t.sql(`delete from outbox_receipts where event_id = ? and subscriber = 'welcome-message'`, [event.id]);
    const data: EventJob<'subscription.activated'> = {
      id: event.id,
      type: 'subscription.activated',
      payload: event.payload,
      createdAt: new Date(event.created_at).toISOString(),
      subscriber: 'welcome-message',
    };
    const outcome = await t.app.get(OutboxDispatcher).dispatch({ data, attemptsMade: 0, opts: { attempts: 1 } } as Job<EventJob>);
    expect(outcome).toBe('handled');
  }

  describe('PUT and GET', () => {
    it('answers 404 before one is set, then round-trips what was put (replacing it on the next PUT)', async () => {
      const creator = await createSignedInUser(t);
      expectProblem(await as(t, creator).get('/me/welcome-message'), 404, 'not_found');

      const first = await put(creator, { content: 'Welcome aboard!', preview: 'hi', enabled: true }).expect(200);
      expect(first.body).toEqual({ content: 'Welcome aboard!', media_ids: [], price_cents: null, preview: 'hi', enabled: true, updated_at: expect.stringMatching(ISO_UTC) });
      expect((await as(t, creator).get('/me/welcome-message').expect(200)).body).toEqual(first.body);

      await put(creator, { content: 'Thanks!', enabled: false }).expect(200);
      expect((await as(t, creator).get('/me/welcome-message').expect(200)).body).toMatchObject({ content: 'Thanks!', preview: null, enabled: false });
    });

    it('validates the body (whitelist, limits, blank content, media, prices need a payout account)', async () => {
      const creator = await createSignedInUser(t);
      const bad: object[] = [
        {},
        { content: 'x' },
        { content: 'x', enabled: 'yes' },
        { content: '', enabled: true },
        { content: 'x'.repeat(5001), enabled: true },
        { content: 'x', enabled: true, price_cents: 99 },
        { content: 'x', enabled: true, price_cents: 100001 },
        { content: 'x', enabled: true, preview: 'p'.repeat(281) },
        { content: 'x', enabled: true, media_ids: ['not-a-uuid'] },
        { content: 'x', enabled: true, extra: 1 },
      ];
      for (const body of bad) expect((await put(creator, body)).status).toBe(400);
      expectProblem(await put(creator, { content: '   ', enabled: true }), 422, 'validation_failed');
      expectProblem(await put(creator, { content: 'x', enabled: true, media_ids: ['0190f5b4-0000-7000-8000-000000000000'] }), 422, 'validation_failed');
      // CONNECT_REQUIRED=true: no payout account, no price.
      expectProblem(await put(creator, { content: 'x', enabled: true, price_cents: 500 }), 422, 'validation_failed');
      expectProblem(await as(t, creator).get('/me/welcome-message'), 404, 'not_found');
    });
  });

  describe('sending', () => {
    it('sends exactly one, from the creator, even when the Stripe events come twice and the outbox event is handled again', async () => {
      const [creator, fan] = [await creatorAt(500), await createSignedInUser(t)];
      await put(creator, { content: 'Welcome, thanks for subscribing!', enabled: true }).expect(200);

      await subscribeTwice(fan, creator);
      await handleActivationAgain(fan);

      const rows = await received(fan);
      expect(rows).toEqual([expect.objectContaining({ sender_id: creator.id, content: 'Welcome, thanks for subscribing!', price_cents: null })]);
      const [conversation] = (await as(t, fan).get('/conversations').expect(200)).body.data;
      expect(conversation).toMatchObject({ id: rows[0].conversation_id, with: { id: creator.id }, status: 'active', unread_count: 1 });
      expect(conversation.last_message).toMatchObject({ content: 'Welcome, thanks for subscribing!', locked: false });
    });

    it('sends nothing while disabled, nor when none is set', async () => {
      const [creator, fan] = [await creatorAt(500), await createSignedInUser(t)];
      await put(creator, { content: 'Welcome!', enabled: false }).expect(200);
      await subscribeTwice(fan, creator);

      const [other, fan2] = [await creatorAt(500), await createSignedInUser(t)];
      await subscribeTwice(fan2, other);

      expect(await received(fan)).toEqual([]);
      expect(await received(fan2)).toEqual([]);
    });

    it('locks a paid welcome message for the fan; its sender sees it', async () => {
      const [creator, fan] = [await creatorAt(500), await createSignedInUser(t)];
      await put(creator, { content: 'the secret welcome', price_cents: 300, preview: 'a gift inside', enabled: true }).expect(200);
      await subscribeTwice(fan, creator);

      const [row] = await received(fan);
      expect(row).toMatchObject({ price_cents: 300, preview: 'a gift inside' });
      const [forFan] = (await as(t, fan).get(`/conversations/${row.conversation_id}/messages`).expect(200)).body.data;
      expect(forFan).toMatchObject({ id: row.id, content: null, content_html: null, locked: true, price_cents: 300, preview: 'a gift inside' });
      const [forCreator] = (await as(t, creator).get(`/conversations/${row.conversation_id}/messages`).expect(200)).body.data;
      expect(forCreator).toMatchObject({ id: row.id, content: 'the secret welcome', locked: false });
    });

    it('sends nothing to a fan blocked by the creator, nor to one who blocked the creator', async () => {
      const [creator, blockedFan, blockingFan] = [await creatorAt(500), await createSignedInUser(t), await createSignedInUser(t)];
      await put(creator, { content: 'Welcome!', enabled: true }).expect(200);

      await subscribeTwice(blockedFan, creator, () => as(t, creator).post(`/users/${blockedFan.username}/block`).expect(200));
      await subscribeTwice(blockingFan, creator, () => as(t, blockingFan).post(`/users/${creator.username}/block`).expect(200));

      for (const fan of [blockedFan, blockingFan]) {
        expect(await t.sql('select 1 from outbox_events where type = ? and payload->>? = ?', ['subscription.activated', 'subscriberId', fan.id])).toHaveLength(1);
        expect(await received(fan)).toEqual([]);
      }
    });
  });
});

import sharp from 'sharp';
import { v7 } from 'uuid';
import { OutboxEventsRepository } from '@/common/outbox/outbox-events.repository';
import { EventJob, JobName, QueueName } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { as, createPost, follow, subscribe } from '../factories/posts';
import { bearer, createSignedInUser } from '../factories/users';
import { createTestApp, TestApp } from '../support/app';
import { RedisServer, redisServerAvailable } from '../support/redis-server';
import { deliver, stripeEnv, stripeEvent } from '../support/stripe-events';
import { StripeTestServer } from '../support/stripe-server';
import { drained, waitFor } from '../support/wait';

/**
 * Receipts end to end: an event is done when its subscriber committed its effect, not when Redis took its job. Here
 * every kind of event waits as a job (queues paused) when Redis dies and comes back EMPTY (no persistence, as a
 * restarted cache or a failover that lost the last writes): the relay sends every event without its receipts again,
 * and each effect arrives exactly once.
 */
const HAVE_REDIS = redisServerAvailable();
if (!HAVE_REDIS) console.log('outbox-receipts: no redis-server on the PATH; skipping');
const describeWithRedis = HAVE_REDIS ? describe : describe.skip;

const FOLLOWERS = 4;
const SUBSCRIBERS = 3;
/** Short, so the test waits seconds; production waits minutes (OUTBOX_RESEND_AFTER, 5m by default). */
const RESEND_AFTER = '2s';

describeWithRedis('Outbox receipts: Redis restarted without persistence while events are queued', () => {
  let redis: RedisServer;
  let stripe: StripeTestServer;
  let t: TestApp;

  beforeAll(async () => {
    redis = await RedisServer.start({ persistent: false });
    stripe = await StripeTestServer.start();
    t = await createTestApp({ ...stripeEnv(stripe), REDIS_URL: redis.url, OUTBOX_RESEND_AFTER: RESEND_AFTER });
  });

  afterAll(async () => {
    await t?.close();
    await stripe?.close();
    await redis?.stop();
  });

  const sql = <T>(query: string, params: unknown[] = []) => t.em().execute(query, params) as Promise<T[]>;
  const count = async (query: string, params: unknown[] = []) => (await sql<{ n: number }>(query, params))[0].n;
  const EVENT_QUEUES = [QueueName.Events, QueueName.Notifications, QueueName.Billing, QueueName.Media];
  const queue = (name: QueueName) => t.app.get(QueueService).queue(name);
  /** Event jobs waiting in a queue (paused or not). */
  const waitingEvents = async (name: QueueName) => (await queue(name).getJobs(['waiting', 'paused'])).filter((job) => job.name === JobName.DomainEvent).length;

  it('sends every unhandled event again, and notifications, a Stripe event, a fan-out and a media job each take effect once', async () => {
    const author = await createSignedInUser(t);
    const followers = await Promise.all(Array.from({ length: FOLLOWERS }, () => createSignedInUser(t)));
    const subscribers = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => createSignedInUser(t)));
    for (const subscriber of subscribers) await subscribe(t, subscriber, author);
    const post = await createPost(t, author, 'a post to like');
    // A fan buys a subscription to a creator through Stripe Checkout; Stripe's event arrives while the workers wait.
    const [creator, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    await as(t, creator).patch('/me', { subscription_price_cents: 700 }).expect(200);
    const checkout = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
    const { session } = stripe.completeCheckout(checkout.body.checkout_session_id);
    await drained(t);

    // Park the work in Redis: the relay sends every event to its queue, paused (a flag kept in Redis, lost with it).
    await Promise.all(EVENT_QUEUES.map((name) => queue(name).pause()));
    const [{ at: started }] = await sql<{ at: Date }>('select now() as at');
    for (const follower of followers) {
      await follow(t, follower, author);
      await as(t, follower).post(`/posts/${post.id}/like`).expect(200);
    }
    const premium = await createPost(t, author, { content: 'for my subscribers', is_premium: true });
    const paid = stripeEvent('checkout.session.completed', session);
    const stripeEventId = paid.id as string;
    await deliver(t, paid).expect(200);
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3a6' } }).png().toBuffer();
    const upload = await t.http.post('/api/v1/media').set('Authorization', bearer(author.accessToken)).attach('file', png, 'a.png').expect(202);

    const since = await sql<{ id: string; type: string }>(
      'select id, type from outbox_events where created_at >= ? and handled_at is null order by id',
      [started],
    );
    expect(since.map((e) => e.type).sort()).toEqual(
      [...Array<string>(FOLLOWERS).fill('user.followed'), ...Array<string>(FOLLOWERS).fill('post.liked'), 'premium_post.published', 'stripe.event_received', 'media.uploaded'].sort(),
    );
    const eventIds = since.map((e) => e.id);
    const unsent = () => count('select count(*)::int as n from outbox_events where id in (?) and dispatched_at is null', [eventIds]);
    expect(await waitFor(unsent, (n) => n === 0, 15_000)).toBe(0);
    expect(await waitingEvents(QueueName.Events)).toBe(2 * FOLLOWERS);
    expect(await waitingEvents(QueueName.Notifications)).toBe(1);
    expect(await waitingEvents(QueueName.Billing)).toBe(1);
    expect(await waitingEvents(QueueName.Media)).toBe(1);

    // Redis dies and comes back empty: every queued job is gone, and nothing in Redis remembers it.
    await redis.kill();
    await redis.restart();
    const lost = await waitFor(
      () => Promise.all(EVENT_QUEUES.map((name) => waitingEvents(name))).catch(() => [-1]),
      (counts) => counts.every((n) => n === 0),
      15_000,
      200,
    );
    expect(lost).toEqual([0, 0, 0, 0]);
    expect(await Promise.all(EVENT_QUEUES.map((name) => queue(name).isPaused()))).toEqual([false, false, false, false]);

    // The relay finds the events without receipts RESEND_AFTER after they were sent, and sends them again.
    const unhandled = () => count('select count(*)::int as n from outbox_events where id in (?) and handled_at is null', [eventIds]);
    expect(await waitFor(unhandled, (n) => n === 0, 60_000, 200)).toBe(0);
    await drained(t);

    // Notifications: one per follow and like, one per subscriber of the premium post.
    const byType = await sql<{ type: string; n: number }>(
      'select type, count(*)::int as n from notifications where user_id = ? group by type order by type',
      [author.id],
    );
    expect(byType).toEqual([
      { type: 'follow', n: FOLLOWERS },
      { type: 'like', n: FOLLOWERS },
    ]);
    const fannedOut = await sql<{ n: number; people: number }>(
      `select count(*)::int as n, count(distinct user_id)::int as people from notifications where post_id = ? and type = 'subscribed_post'`,
      [premium.id],
    );
    expect(fannedOut).toEqual([{ n: SUBSCRIBERS, people: SUBSCRIBERS }]);

    // The Stripe event: applied once (one attempt, no error), one active subscription, the creator told once.
    expect(await sql('select attempts, last_error, processed_at is not null as processed from stripe_events where stripe_event_id = ?', [stripeEventId])).toEqual([
      { attempts: 1, last_error: null, processed: true },
    ]);
    expect(await sql('select status from subscriptions where subscriber_id = ? and creator_id = ?', [fan.id, creator.id])).toEqual([{ status: 'active' }]);
    expect(await count(`select count(*)::int as n from notifications where user_id = ? and type = 'subscription'`, [creator.id])).toBe(1);

    // The media job: processed, ready with its dimensions.
    const media = (await as(t, author).get(`/media/${upload.body.id}`).expect(200)).body as { status: string; width: number; height: number };
    expect(media).toMatchObject({ status: 'ready', width: 32, height: 24 });

    // Each event was sent twice (the first send lost with Redis) and answered by one receipt per subscriber.
    const rows = await sql<{ type: string; attempts: number; receipts: number }>(
      `select e.type, e.attempts, (select count(*)::int from outbox_receipts r where r.event_id = e.id) as receipts from outbox_events e where e.id in (?)`,
      [eventIds],
    );
    expect(rows.filter((r) => r.attempts < 2 || r.receipts !== 1)).toEqual([]);
  }, 120_000);

  it('runs a handled event again as a no-op: the receipt stops a duplicate delivery', async () => {
    const [author, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    await follow(t, fan, author);
    await drained(t);
    const [event] = await sql<{ id: string; type: 'user.followed'; payload: EventJob<'user.followed'>['payload']; created_at: Date }>(
      `select id, type, payload, created_at from outbox_events where type = 'user.followed' and payload->>'followerId' = ?`,
      [fan.id],
    );
    const notes = () => count(`select count(*)::int as n from notifications where user_id = ? and type = 'follow'`, [author.id]);
    expect(await notes()).toBe(1);
    // Without the notification, a handler that ran again would write it anew: only the receipt stops it.
    await t.em().execute(`delete from notifications where user_id = ? and type = 'follow'`, [author.id]);
    const job: EventJob = { id: event.id, type: event.type, payload: event.payload, createdAt: new Date(event.created_at).toISOString(), subscriber: 'notifications' };
    const added = await t.app.get(QueueService).queue(QueueName.Events).add(JobName.DomainEvent, job, { jobId: `${event.id}.again` });
    await waitFor(() => added.getState(), (state) => state === 'completed', 10_000);
    expect(await t.app.get(QueueService).queue(QueueName.Events).getJob(added.id!).then((j) => j?.returnvalue)).toBe('already handled');
    expect(await notes()).toBe(0);
  });

  it('deletes handled events (and their receipts) after a week, never unhandled ones', async () => {
    const day = 86_400_000;
    // A type nobody subscribes to: should the relay see these rows, it has nothing to run.
    const NOBODYS = 'test.nobody';
    const old = Date.now() - 8 * day;
    const [oldHandled, oldUnhandled, recentHandled] = [v7({ msecs: old }), v7({ msecs: old + 1 }), v7({ msecs: Date.now() - day })];
    await t.em().execute(
      `insert into outbox_events (id, type, payload, created_at, dispatched_at, handled_at, attempts) values
         (?, ?, '{}', now(), now(), now(), 1), (?, ?, '{}', now(), now(), null, 1), (?, ?, '{}', now(), now(), now(), 1)`,
      [oldHandled, NOBODYS, oldUnhandled, NOBODYS, recentHandled, NOBODYS],
    );
    await t.em().execute(`insert into outbox_receipts (event_id, subscriber) values (?, 'notifications'), (?, 'notifications')`, [oldHandled, recentHandled]);
    try {
      expect(await t.app.get(OutboxEventsRepository).deleteHandledBefore(new Date(Date.now() - 7 * day), 1000)).toBeGreaterThanOrEqual(1);
      const left = await sql<{ id: string }>('select id from outbox_events where id in (?) order by id', [[oldHandled, oldUnhandled, recentHandled]]);
      expect(left.map((r) => r.id)).toEqual([oldUnhandled, recentHandled]);
      expect(await count('select count(*)::int as n from outbox_receipts where event_id in (?)', [[oldHandled, recentHandled]])).toBe(1);
    } finally {
      await t.em().execute('delete from outbox_events where id in (?)', [[oldHandled, oldUnhandled, recentHandled]]);
    }
  });
});

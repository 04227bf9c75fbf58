import { QueueName } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { createPost } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { TestApp, withTestApp } from '../support/app';
import { creatorAt, paySubscription, payUnlock, useBillingApp } from '../support/billing';
import { deliver, stripeEnv, stripeEvent } from '../support/stripe-events';
import { nowSeconds, StripeObject } from '../support/stripe-server';
import { seededRandom, shuffle } from '../support/seeded-random';
import { drained, waitFor } from '../support/wait';

const DELIVERIES = 500;
const CREATORS = 3;
/** Each fan subscribes to every creator; each buyer buys every post. */
const FANS = 8;
const BUYERS = 6;
const POSTS_PER_CREATOR = 2;
/** Neighbouring stories whose events are delivered mixed together (about as many as jobs run at once). */
const STORIES_AT_ONCE = 4;

/**
 * The Stripe worker takes its locks in one order (docs/billing.md#lock-order): the event row, then the domain rows
 * (subscriptions, post_unlocks), then the ledger (earnings_entries, then earnings_months) last. Here every payment,
 * refund and dispute lands on the same few creators, so every job wants one of a few `earnings_months` rows while the
 * purchases' refunds and disputes want the `post_unlocks` rows their checkouts write: taken in two orders, four jobs
 * in flight at once deadlock (PostgreSQL kills one, the queue retries it). Before the order was fixed this failed
 * with a `charge.refunded` retried after `deadlock detected` on its ledger statement, against its own purchase's
 * `checkout.session.completed` upserting the `post_unlocks` row the early refund had inserted.
 */
describe('Stripe webhook worker lock order: 4 jobs at once on the same creators', () => {
  // The API stores the events; a worker app started afterwards finds all of them queued at once.
  const billing = useBillingApp({ APP_ROLE: 'api' });
  const { t, stripe } = billing;

  const deadlocks = async (): Promise<number> => {
    await t.sql('select pg_stat_clear_snapshot()');
    const [row] = await t.sql<{ n: string }>('select deadlocks::text as n from pg_stat_database where datname = current_database()');
    return Number(row.n);
  };

  /** Subscribes the fan through Checkout; Stripe's events for it, and for a renewal or a cancellation after. */
  const subscription = async (fan: SignedInUser, creator: SignedInUser, index: number): Promise<StripeObject[]> => {
    const { session, subscription } = await paySubscription(billing, fan, creator);
    const id = subscription.id as string;
    const early = nowSeconds() - 600;
    const events = [
      stripeEvent('checkout.session.completed', session, { created: early }),
      stripeEvent('customer.subscription.created', { ...subscription, status: 'incomplete' }, { created: early }),
      stripeEvent('customer.subscription.updated', subscription, { created: early + 1 }),
      stripeEvent('invoice.paid', stripe.invoice(id, true, { first: true }), { created: early + 1 }),
    ];
    if (index % 3 === 1) events.push(stripeEvent('invoice.paid', stripe.invoice(id, true)));
    if (index % 3 === 2) {
      const now = nowSeconds();
      events.push(stripeEvent('customer.subscription.deleted', stripe.updateSubscription(id, { status: 'canceled', canceled_at: now, ended_at: now })));
    }
    return events;
  };

  /** A purchase, and what Stripe says of it later: a refund, a dispute (won, lost), or nothing. */
  const purchase = async (buyer: SignedInUser, postId: string, index: number): Promise<StripeObject[]> => {
    const { session, paymentIntent } = await payUnlock(billing, buyer, postId);
    const events = [stripeEvent('checkout.session.completed', session)];
    const pi = paymentIntent.id as string;
    if (index % 4 === 0 || index % 4 === 3) events.push(stripeEvent('charge.refunded', stripe.refund(pi)));
    if (index % 4 === 1 || index % 4 === 2) {
      const dispute = stripe.dispute(pi);
      events.push(
        stripeEvent('charge.dispute.created', dispute),
        stripeEvent('charge.dispute.funds_withdrawn', dispute),
        stripeEvent('charge.dispute.closed', { ...dispute, status: index % 4 === 1 ? 'won' : 'lost' }),
      );
    }
    return events;
  };

  it('applies 500 shuffled deliveries with 4 jobs in flight: no deadlock, no retry', async () => {
    const creators = await Promise.all(Array.from({ length: CREATORS }, () => creatorAt(t, 500)));
    const fans = await Promise.all(Array.from({ length: FANS }, () => createSignedInUser(t)));
    const buyers = await Promise.all(Array.from({ length: BUYERS }, () => createSignedInUser(t)));
    const posts = await Promise.all(
      creators.flatMap((creator) => Array.from({ length: POSTS_PER_CREATOR }, () => createPost(t, creator, { content: 'pay per view', price_cents: 300 }))),
    );
    // A story: one subscription's or one purchase's events, which Stripe sends within moments of each other.
    const stories = [
      ...(await Promise.all(fans.flatMap((fan, f) => creators.map((creator, c) => subscription(fan, creator, f * CREATORS + c))))),
      ...(await Promise.all(buyers.flatMap((buyer, b) => posts.map((post, p) => purchase(buyer, post.id, b * posts.length + p))))),
    ];
    const unique = stories.flat();

    // Shuffled twice: the stories, then the events of every STORIES_AT_ONCE neighbouring stories together (each
    // story's in any order: a refund may overtake its purchase), duplicates sprinkled in.
    const seed = Date.now() % 100_000;
    const next = seededRandom(seed);
    const repeated = Array.from({ length: DELIVERIES - unique.length }, () => unique[Math.floor(next() * unique.length)]);
    const shuffled = shuffle(stories, next);
    const deliveries: StripeObject[] = [];
    for (let i = 0; i < shuffled.length; i += STORIES_AT_ONCE) {
      const share = repeated.splice(0, Math.ceil((STORIES_AT_ONCE * repeated.length) / (shuffled.length - i)));
      deliveries.push(...shuffle([...shuffled.slice(i, i + STORIES_AT_ONCE).flat(), ...share], next));
    }
    expect({ seed, deliveries: deliveries.length, unique: unique.length > 200 }).toEqual({ seed, deliveries: DELIVERIES, unique: true });
    for (let i = 0; i < deliveries.length; i += 25) {
      await Promise.all(deliveries.slice(i, i + 25).map((event) => deliver(t, event).expect(200)));
    }

    const before = await deadlocks();
    const ids = unique.map((e) => e.id as string);
    const started = Date.now();
    const { maxActive, jobs } = await withTestApp({ env: { ...stripeEnv(stripe), APP_ROLE: 'worker' } }, async (worker: TestApp) => {
      const queue = worker.app.get(QueueService).queue(QueueName.Billing);
      let maxActive = 0;
      const pending = async () => {
        maxActive = Math.max(maxActive, await queue.getActiveCount());
        const [row] = await t.sql<{ n: number }>('select count(*)::int as n from stripe_events where stripe_event_id in (?) and processed_at is null', [ids]);
        return row.n;
      };
      const left = await waitFor(pending, (count) => count === 0, 50_000, 100);
      expect({ seed, unprocessed: left }).toEqual({ seed, unprocessed: 0 });
      await drained(worker);
      const jobs = await queue.getJobs(['completed', 'failed', 'delayed', 'wait', 'active']);
      return { maxActive, jobs };
    });
    console.log(`${ids.length} events (${DELIVERIES} deliveries) applied in ${Date.now() - started} ms, up to ${maxActive} billing jobs active at once`);

    // The worker app is closed: its connections ended, so their statistics (deadlocks detected) are flushed.
    const deadlocksDetected = (await waitFor(deadlocks, (count) => count > before, 1_500, 250)) - before;
    const rows = await t.sql<{ stripe_event_id: string; type: string; attempts: number; last_error: string | null }>(
      'select stripe_event_id, type, attempts, last_error from stripe_events where stripe_event_id in (?)',
      [ids],
    );
    const retried = rows.filter((r) => r.attempts !== 1 || r.last_error);
    // BullMQ counts the attempt that completed a job: 1 is a job that never failed, never stalled, never retried.
    const retriedJobs = jobs.filter((job) => job.attemptsMade > 1 || job.failedReason).map((job) => ({ id: job.id, attemptsMade: job.attemptsMade, failedReason: job.failedReason }));
    expect({ seed, deadlocksDetected, retried, retriedJobs }).toEqual({ seed, deadlocksDetected: 0, retried: [], retriedJobs: [] });
    expect(maxActive).toBe(4);
    expect(jobs.length).toBeGreaterThanOrEqual(ids.length);

    // The ledger holds each payment once: the months are the sums of their entries.
    const drift = await t.sql(
      `select m.creator_id, m.month, m.gross_cents, e.gross from earnings_months m
         join (select creator_id, currency, date_trunc('month', occurred_at at time zone 'UTC')::date as month, sum(gross_cents) as gross
                 from earnings_entries group by 1, 2, 3) e using (creator_id, currency, month)
        where m.gross_cents <> e.gross`,
    );
    expect(drift).toEqual([]);
  }, 120_000);
});

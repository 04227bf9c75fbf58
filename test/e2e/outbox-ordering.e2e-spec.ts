import { DomainEventType } from '@/common/outbox/domain-events';
import { EventJob, JobName, QueueName } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { as, createPost } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { applied, creatorAt, paySubscription, useBillingApp } from '../support/billing';
import { stripeEvent } from '../support/stripe-events';
import { nowSeconds } from '../support/stripe-server';
import { drained, waitFor } from '../support/wait';

interface EventRow {
  id: string;
  type: DomainEventType;
  payload: EventJob['payload'];
  created_at: Date;
  dispatched_at: Date | null;
}

/**
 * The "undo" pairs (like/unlike, follow/unfollow, repost/unrepost, block/unblock, subscribe/cancel) when their events
 * are handled late and out of order, as after a Redis restart that lost the queued jobs (issue 24): each event is
 * parked in its paused queue, the jobs are dropped (the loss), then the events are delivered again one at a time, the
 * newest first. However late an event runs, it never undoes a newer state (docs/events.md, "Undo pairs").
 */
describe('Events handled late and out of order never undo a newer state', () => {
  const billing = useBillingApp();
  const { t } = billing;

  const queue = (name: QueueName) => t.app.get(QueueService).queue(name);

  /** Runs `act` with `name` paused; answers the events of `types` it recorded, sent but not handled, oldest first. */
  async function parked(name: QueueName, types: DomainEventType[], act: () => Promise<void>): Promise<EventRow[]> {
    await drained(t);
    const [{ last }] = await t.sql<{ last: string | null }>('select max(id::text) as last from outbox_events');
    await queue(name).pause();
    try {
      await act();
      const rows = await waitFor(
        () => t.sql<EventRow>('select id, type, payload, created_at, dispatched_at from outbox_events where id > ?::uuid and type in (?) order by id', [last ?? '00000000-0000-0000-0000-000000000000', types]),
        (found) => found.length > 0 && found.every((r) => r.dispatched_at),
        15_000,
      );
      // Redis loses the queued jobs: nothing of them is left but the outbox rows.
      await queue(name).drain();
      return rows;
    } finally {
      await queue(name).resume();
    }
  }

  /** Delivers each event again to `subscriber`, one after the other, in the order given. */
  async function deliverInOrder(name: QueueName, subscriber: string, rows: EventRow[]): Promise<void> {
    for (const row of rows) {
      const job: EventJob = { id: row.id, type: row.type, payload: row.payload, createdAt: new Date(row.created_at).toISOString(), subscriber };
      const added = await queue(name).add(JobName.DomainEvent, job, { jobId: `${row.id}.${subscriber}.late` });
      expect(await waitFor(() => added.getState(), (state) => state === 'completed' || state === 'failed', 15_000)).toBe('completed');
    }
  }

  const notes = (recipient: SignedInUser, type: string) =>
    t.sql<{ from_user_id: string; post_id: string | null }>('select from_user_id, post_id from notifications where user_id = ? and type = ?', [recipient.id, type]);
  const postOf = async (viewer: SignedInUser, id: string) => (await as(t, viewer).get(`/posts/${id}`).expect(200)).body as { likes_count: number; liked: boolean; reposts_count: number; reposted: boolean };
  const relationship = async (viewer: SignedInUser, other: SignedInUser) =>
    (await as(t, viewer).get(`/users/${other.username}`).expect(200)).body as { followers_count: number; relationship?: { following: boolean; blocking: boolean } };

  it('like, unlike, like again: the two "liked" events in reverse order leave the like and one notification; a late "liked" after an unlike brings no like back', async () => {
    const [author, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const post = await createPost(t, author, 'like me, or not');
    const liked = await parked(QueueName.Events, ['post.liked'], async () => {
      await as(t, fan).post(`/posts/${post.id}/like`).expect(200);
      await as(t, fan).delete(`/posts/${post.id}/like`).expect(200);
      await as(t, fan).post(`/posts/${post.id}/like`).expect(200);
    });
    expect(liked).toHaveLength(2);
    await deliverInOrder(QueueName.Events, 'notifications', [...liked].reverse());
    expect(await notes(author, 'like')).toEqual([{ from_user_id: fan.id, post_id: post.id }]);
    expect(await postOf(fan, post.id)).toMatchObject({ likes_count: 1, liked: true });

    // Unliked for good: the late event tells of a like that happened (its notification stays, once), and re-creates
    // nothing: events carry no state, the like rows are written by the requests alone.
    const gone = await parked(QueueName.Events, ['post.liked'], async () => {
      await as(t, fan).delete(`/posts/${post.id}/like`).expect(200);
      await as(t, fan).post(`/posts/${post.id}/like`).expect(200);
      await as(t, fan).delete(`/posts/${post.id}/like`).expect(200);
    });
    await deliverInOrder(QueueName.Events, 'notifications', gone);
    expect(await postOf(fan, post.id)).toMatchObject({ likes_count: 0, liked: false });
    expect(await notes(author, 'like')).toHaveLength(1);
  });

  it('follow, unfollow, follow again: the "followed" events in reverse order leave one follow and one notification; late ones after an unfollow follow nobody', async () => {
    const [star, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const followed = await parked(QueueName.Events, ['user.followed'], async () => {
      await as(t, fan).post(`/users/${star.username}/follow`).expect(200);
      await as(t, fan).delete(`/users/${star.username}/follow`).expect(200);
      await as(t, fan).post(`/users/${star.username}/follow`).expect(200);
    });
    expect(followed).toHaveLength(2);
    await deliverInOrder(QueueName.Events, 'notifications', [...followed].reverse());
    expect(await notes(star, 'follow')).toEqual([{ from_user_id: fan.id, post_id: null }]);
    expect(await relationship(fan, star)).toMatchObject({ followers_count: 1, relationship: { following: true } });

    const late = await parked(QueueName.Events, ['user.followed'], async () => {
      await as(t, fan).delete(`/users/${star.username}/follow`).expect(200);
      await as(t, fan).post(`/users/${star.username}/follow`).expect(200);
      await as(t, fan).delete(`/users/${star.username}/follow`).expect(200);
    });
    await deliverInOrder(QueueName.Events, 'notifications', late);
    expect(await relationship(fan, star)).toMatchObject({ followers_count: 0, relationship: { following: false } });
    expect(await notes(star, 'follow')).toHaveLength(1);
  });

  it('repost, unrepost, repost again: the "reposted" events in reverse order leave one repost and one notification', async () => {
    const [author, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const post = await createPost(t, author, 'share me');
    const reposted = await parked(QueueName.Events, ['post.reposted'], async () => {
      await as(t, fan).post(`/posts/${post.id}/repost`).expect(200);
      await as(t, fan).delete(`/posts/${post.id}/repost`).expect(200);
      await as(t, fan).post(`/posts/${post.id}/repost`).expect(200);
    });
    expect(reposted).toHaveLength(2);
    await deliverInOrder(QueueName.Events, 'notifications', [...reposted].reverse());
    expect(await notes(author, 'repost')).toEqual([{ from_user_id: fan.id, post_id: post.id }]);
    expect(await postOf(fan, post.id)).toMatchObject({ reposts_count: 1, reposted: true });

    const late = await parked(QueueName.Events, ['post.reposted'], async () => {
      await as(t, fan).delete(`/posts/${post.id}/repost`).expect(200);
      await as(t, fan).post(`/posts/${post.id}/repost`).expect(200);
      await as(t, fan).delete(`/posts/${post.id}/repost`).expect(200);
    });
    await deliverInOrder(QueueName.Events, 'notifications', late);
    expect(await postOf(fan, post.id)).toMatchObject({ reposts_count: 0, reposted: false });
    expect(await notes(author, 'repost')).toHaveLength(1);
  });

  it('block, unblock: a late "blocked" leaves the subscription running; a block that still holds sets it to cancel', async () => {
    const subscribed = async () => {
      const [creator, fan] = [await creatorAt(t, 500, billing.stripe), await createSignedInUser(t)];
      const { session, subscription } = await paySubscription(billing, fan, creator);
      await applied(t, stripeEvent('checkout.session.completed', session));
      return { creator, fan, subscriptionId: subscription.id as string };
    };
    const cancelling = async (subscriptionId: string) =>
      (await t.sql<{ cancel_at_period_end: boolean }>('select cancel_at_period_end from subscriptions where stripe_subscription_id = ?', [subscriptionId]))[0].cancel_at_period_end;

    const friends = await subscribed();
    const blocked = await parked(QueueName.Billing, ['user.blocked'], async () => {
      await as(t, friends.creator).post(`/users/${friends.fan.username}/block`).expect(200);
      await as(t, friends.creator).delete(`/users/${friends.fan.username}/block`).expect(200);
    });
    expect(blocked).toHaveLength(1);
    await deliverInOrder(QueueName.Billing, 'billing.block', blocked);
    expect(billing.stripe.requestsTo('POST', `/v1/subscriptions/${friends.subscriptionId}`)).toEqual([]);
    expect(await cancelling(friends.subscriptionId)).toBe(false);

    // The same late delivery while the block holds: the subscription is set to cancel at the period end.
    const foes = await subscribed();
    const holds = await parked(QueueName.Billing, ['user.blocked'], async () => {
      await as(t, foes.creator).post(`/users/${foes.fan.username}/block`).expect(200);
    });
    await deliverInOrder(QueueName.Billing, 'billing.block', holds);
    expect(billing.stripe.requestsTo('POST', `/v1/subscriptions/${foes.subscriptionId}`).map((r) => r.body.cancel_at_period_end)).toEqual(['true']);
    expect(await cancelling(foes.subscriptionId)).toBe(true);
  });

  it('subscribe, cancel: a late "activated" and an older Stripe event applied after the cancellation leave it canceled', async () => {
    const [creator, fan] = [await creatorAt(t, 700, billing.stripe), await createSignedInUser(t)];
    const { session, subscription } = await paySubscription(billing, fan, creator);
    const id = subscription.id as string;
    const activeUpdate = stripeEvent('customer.subscription.updated', subscription, { created: nowSeconds() - 60 });
    const activated = await parked(QueueName.Events, ['subscription.activated'], async () => {
      await applied(t, stripeEvent('checkout.session.completed', session));
      const now = nowSeconds();
      await applied(t, stripeEvent('customer.subscription.deleted', billing.stripe.updateSubscription(id, { status: 'canceled', canceled_at: now, ended_at: now })));
    });
    expect(activated).toHaveLength(1);
    // Stripe's older "active" update arrives after the deletion, and the activation's notification runs late.
    await applied(t, activeUpdate);
    await deliverInOrder(QueueName.Events, 'notifications', activated);
    expect(await t.sql('select status from subscriptions where stripe_subscription_id = ?', [id])).toEqual([{ status: 'canceled' }]);
    // The activation happened: its notification is history, told once; it grants nothing.
    expect(await notes(creator, 'subscription')).toEqual([{ from_user_id: fan.id, post_id: null }]);
  });
});

import { request as httpRequest } from 'node:http';
import { JobName, QueueName } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { as, createPost } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { BackendKiller } from '../support/pg-faults';
import { drained, waitFor } from '../support/wait';

/**
 * Issue 24: the fault soak lost two like notifications out of 1,787 while it killed PostgreSQL backends. Here one
 * backend is killed at a chosen statement of the notification handler (test/support/pg-faults.ts), deterministically:
 * an infrastructure error must fail the delivery (BullMQ retries it), never be read as a decision ("not visible, do
 * not notify") whose receipt then commits with nothing to show.
 */
describe('Outbox handlers when PostgreSQL kills their backend', () => {
  const t = useTestApp({ redisScope: 'killed-backend' });
  let killer: BackendKiller;

  beforeAll(async () => {
    killer = await BackendKiller.on(t.config.database.url!);
  });

  afterAll(async () => {
    await killer?.close();
  });

  const events = () => t.app.get(QueueService).queue(QueueName.Events);
  const likeNotes = (author: SignedInUser, postId: string) =>
    t.sql<{ n: number }>(`select count(*)::int as n from notifications where user_id = ? and type = 'like' and post_id = ?`, [author.id, postId]).then((r) => r[0].n);
  const likedEvent = async (fan: SignedInUser, postId: string) =>
    (
      await t.sql<{ id: string; dispatched: boolean; handled: boolean; receipts: number }>(
        `select e.id, e.dispatched_at is not null as dispatched, e.handled_at is not null as handled,
                (select count(*)::int from outbox_receipts r where r.event_id = e.id) as receipts
           from outbox_events e where e.type = 'post.liked' and e.payload->>'userId' = ? and e.payload->>'postId' = ?`,
        [fan.id, postId],
      )
    )[0];

  /** A like whose event waits as a job in the paused events queue (sent by the relay, not handled yet). */
  async function parkedLike(): Promise<{ author: SignedInUser; fan: SignedInUser; postId: string }> {
    const [author, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const post = await createPost(t, author, 'a post to like');
    await drained(t);
    await events().pause();
    await as(t, fan).post(`/posts/${post.id}/like`).expect(200);
    expect(await waitFor(() => likedEvent(fan, post.id), (e) => !!e?.dispatched, 15_000)).toMatchObject({ dispatched: true, handled: false });
    return { author, fan, postId: post.id };
  }

  afterEach(async () => {
    await killer.release();
    await events().resume();
  });

  it('notifies a like whose visibility check failed (statement cancelled): the delivery fails and its retry notifies', async () => {
    const { author, fan, postId } = await parkedLike();
    // The handler reads the post to decide whether the author may see it: that statement waits, and is cancelled (as
    // a statement timeout would); the connection stays healthy for the handler's transaction.
    await killer.lock('posts');
    await events().resume();
    expect(await killer.cancelWaiting(postId)).toMatch(/from "?posts"?/i);
    await killer.release();

    expect(await waitFor(() => likeNotes(author, postId), (n) => n > 0, 20_000)).toBe(1);
    expect(await waitFor(() => likedEvent(fan, postId), (e) => e.handled, 10_000)).toMatchObject({ handled: true, receipts: 1 });
    // The first delivery failed on the cancelled statement and a retry handled it: the job keeps the failure.
    const { id } = await likedEvent(fan, postId);
    const job = await events().getJob(`${id}.notifications`);
    expect(job?.name).toBe(JobName.DomainEvent);
    expect(job?.stacktrace?.join('\n')).toMatch(/canceling statement/i);
  }, 60_000);

  it("notifies a like whose visibility check lost its backend (the soak's chaos), after a retry", async () => {
    const { author, fan, postId } = await parkedLike();
    await killer.lock('posts');
    await events().resume();
    expect(await killer.terminateWaiting(postId)).toMatch(/from "?posts"?/i);
    await killer.release();

    expect(await waitFor(() => likeNotes(author, postId), (n) => n > 0, 20_000)).toBe(1);
    expect(await waitFor(() => likedEvent(fan, postId), (e) => e.handled, 10_000)).toMatchObject({ handled: true, receipts: 1 });
  }, 60_000);

  it('commits neither the receipt nor the notification when the backend dies inside the handler transaction, and the retry commits both once', async () => {
    const { author, fan, postId } = await parkedLike();
    // The handler's transaction inserts its receipt, then the notification: that insert waits, and its backend dies.
    await killer.lock('notifications');
    await events().resume();
    const killed = await killer.terminateWaiting(fan.id);
    expect(killed).toMatch(/insert into "?notifications"?/i);
    await killer.release();

    expect(await waitFor(() => likeNotes(author, postId), (n) => n > 0, 20_000)).toBe(1);
    expect(await waitFor(() => likedEvent(fan, postId), (e) => e.handled, 10_000)).toMatchObject({ handled: true, receipts: 1 });
    await drained(t);
    expect(await likeNotes(author, postId)).toBe(1);
  }, 60_000);

  it('lets a re-send racing a slow first delivery stop at the receipt: one notification, one receipt', async () => {
    const { author, fan, postId } = await parkedLike();
    const { id } = await likedEvent(fan, postId);
    // The first delivery is slow: inside its transaction (receipt inserted, not committed) its visibility check waits.
    await killer.lock('posts');
    await events().resume();
    await killer.waitingOn(postId);
    // The relay's re-send (OUTBOX_RESEND_AFTER passed) queues the event again under another job.
    const job = (await events().getJob(`${id}.notifications`))!;
    const again = await events().add(JobName.DomainEvent, job.data, { jobId: `${id}.notifications.resent` });
    // The second delivery finds no committed receipt and waits on the first one's uncommitted row.
    await killer.waitingOn('outbox_receipts');
    await killer.release();

    expect(await waitFor(() => again.getState(), (state) => state === 'completed', 15_000)).toBe('completed');
    expect((await events().getJob(again.id!))?.returnvalue).toBe('already handled');
    await drained(t);
    expect(await likeNotes(author, postId)).toBe(1);
    expect(await likedEvent(fan, postId)).toMatchObject({ handled: true, receipts: 1 });
  }, 60_000);

  /** The notification stream of `user`: when it is open, and everything it sent until it ended (or `timeoutMs`). */
  function openStream(port: number, user: SignedInUser, timeoutMs: number) {
    let body = '';
    let opened!: () => void;
    const connected = new Promise<void>((resolve) => (opened = resolve));
    const ended = new Promise<{ body: string; ended: boolean }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: `/api/v1/streaming/notifications?access_token=${user.accessToken}` }, (res) => {
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
          if (body.includes(': connected')) opened();
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ body, ended: true });
        });
      });
      const timer = setTimeout(() => {
        req.destroy();
        resolve({ body, ended: false });
      }, timeoutMs);
      req.on('error', (error) => (error.message.includes('aborted') || error.message.includes('socket hang up') ? undefined : reject(error)));
      req.end();
    });
    return { connected, ended };
  }

  it('closes the notification stream when rendering a new notification fails, never skipping it as "nothing to send"', async () => {
    const { author, postId } = await parkedLike();
    const stream = openStream(await t.listen(), author, 20_000);
    await stream.connected;
    // The handler commits the notification (it reads no likes); the stream's render asks whether the author liked the
    // post, waits on the lock, and that statement is cancelled.
    await killer.lock('likes');
    await events().resume();
    expect(await killer.cancelWaiting(postId)).toMatch(/likes/i);
    await killer.release();

    const { body, ended } = await stream.ended;
    expect(ended).toBe(true);
    expect(body).not.toContain('event: notification');
    // The client reconnects; the notification is there to list.
    const listed = (await as(t, author).get('/notifications').expect(200)).body as { data: { type: string; post: { id: string } | null }[] };
    expect(listed.data).toEqual([expect.objectContaining({ type: 'like', post: expect.objectContaining({ id: postId }) })]);
  }, 60_000);
});

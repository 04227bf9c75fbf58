import { request as httpRequest } from 'node:http';
import { Subscription } from '@/modules/billing/entities/subscription.entity';
import { User } from '@/modules/users/entities/user.entity';
import { bearer, createSignedInUser, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { drained, waitFor } from '../support/wait';

interface Note {
  id: string;
  type: string;
  from_user: { username: string };
  post: { id: string } | null;
  read: boolean;
}

describe('Notifications', () => {
  const t = useTestApp();

  const list = async (user: SignedInUser, query = ''): Promise<Note[]> =>
    (await t.http.get(`/api/v1/notifications${query}`).set('Authorization', bearer(user.accessToken)).expect(200)).body.data;
  const arrive = (user: SignedInUser, count: number, query = '') => waitFor(() => list(user, query), (n) => n.length >= count);
  const as = (user: SignedInUser) => ({ Authorization: bearer(user.accessToken) });
  const post = async (user: SignedInUser, body: Record<string, unknown>) =>
    (await t.http.post('/api/v1/posts').set(as(user)).send(body).expect(201)).body as { id: string };
  /** Everything so far has been handled, plus one follow to show delivery works for this recipient. */
  const settle = async (recipient: SignedInUser, before: number) => {
    await drained(t);
    const marker = await createSignedInUser(t);
    await t.http.post(`/api/v1/users/${recipient.username}/follow`).set(as(marker)).expect(200);
    await arrive(recipient, before + 1);
  };

  it('delivers follow, like, reply, mention and repost notifications with their actor and post', async () => {
    const [author, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    await t.http.post(`/api/v1/users/${author.username}/follow`).set(as(fan)).expect(200);
    const original = await post(author, { content: 'hello' });
    await t.http.post(`/api/v1/posts/${original.id}/like`).set(as(fan)).expect(200);
    const reply = await post(fan, { content: 'nice', reply_to_id: original.id });
    await t.http.post(`/api/v1/posts/${original.id}/repost`).set(as(fan)).expect(200);
    const mention = await post(fan, { content: `hey @${author.username}` });

    const notes = await arrive(author, 5);
    expect(notes.map((n) => n.type).sort()).toEqual(['follow', 'like', 'mention', 'reply', 'repost']);
    expect(notes.every((n) => n.from_user.username === fan.username && n.read === false)).toBe(true);
    const byType = Object.fromEntries(notes.map((n) => [n.type, n]));
    expect(byType.follow.post).toBeNull();
    expect(byType.like.post?.id).toBe(original.id);
    expect(byType.reply.post?.id).toBe(reply.id);
    expect(byType.repost.post?.id).toBe(original.id);
    expect(byType.mention.post?.id).toBe(mention.id);
  });

  it('filters by type and unread, counts unread, and marks read by ids, up to an id, or all', async () => {
    const [me, other] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    await t.http.post(`/api/v1/users/${me.username}/follow`).set(as(other)).expect(200);
    const mine = await post(me, { content: 'post' });
    await t.http.post(`/api/v1/posts/${mine.id}/like`).set(as(other)).expect(200);
    await post(other, { content: `@${me.username} one` });
    await post(other, { content: `@${me.username} two` });
    const all = await arrive(me, 4);

    expect((await list(me, '?types[]=mention')).map((n) => n.type)).toEqual(['mention', 'mention']);
    expect((await list(me, '?types[]=follow&types[]=like')).map((n) => n.type).sort()).toEqual(['follow', 'like']);
    await t.http.get('/api/v1/notifications?types[]=nonsense').set(as(me)).expect(400);

    const count = async () => (await t.http.get('/api/v1/notifications/unread_count').set(as(me)).expect(200)).body.count;
    expect(await count()).toBe(4);
    await t.http.post('/api/v1/notifications/read').set(as(me)).send({ ids: [all[0].id] }).expect(204);
    expect(await count()).toBe(3);
    expect((await list(me, '?unread=true')).map((n) => n.id)).not.toContain(all[0].id);
    await t.http.post('/api/v1/notifications/read').set(as(me)).send({ up_to_id: all[2].id }).expect(204);
    expect(await count()).toBe(1);
    await t.http.post('/api/v1/notifications/read').set(as(me)).send({}).expect(204);
    expect(await count()).toBe(0);
    await t.http.post('/api/v1/notifications/read').set(as(me)).send({ ids: ['nope'] }).expect(400);
    // Someone else's ids change nothing of theirs.
    await t.http.post('/api/v1/notifications/read').set(as(other)).send({}).expect(204);
  });

  it('paginates newest first with a cursor', async () => {
    const me = await createSignedInUser(t);
    const fans = await Promise.all(Array.from({ length: 5 }, () => createSignedInUser(t)));
    for (const fan of fans) await t.http.post(`/api/v1/users/${me.username}/follow`).set(as(fan)).expect(200);
    await arrive(me, 5);
    const first = await t.http.get('/api/v1/notifications?limit=2').set(as(me)).expect(200);
    expect(first.headers.link).toContain('rel="next"');
    const second = await t.http.get(`/api/v1/notifications?limit=10&cursor=${first.body.next_cursor}`).set(as(me)).expect(200);
    const ids = [...first.body.data, ...second.body.data].map((n: Note) => n.id);
    expect(new Set(ids).size).toBe(5);
    expect(second.body.next_cursor).toBeNull();
  });

  it('never notifies of your own actions, nor from someone you block or mute, nor about posts you cannot see', async () => {
    const [me, blocked, muted, stranger] = await Promise.all([createSignedInUser(t), createSignedInUser(t), createSignedInUser(t), createSignedInUser(t)]);
    await t.http.post(`/api/v1/users/${blocked.username}/block`).set(as(me)).expect(200);
    await t.http.post(`/api/v1/users/${muted.username}/mute`).set(as(me)).expect(200);
    const mine = await post(me, { content: 'mine' });
    await t.http.post(`/api/v1/posts/${mine.id}/like`).set(as(me)).expect(200);
    await post(me, { content: `talking to myself @${me.username}` });
    await t.http.post(`/api/v1/posts/${mine.id}/like`).set(as(muted)).expect(200);
    await post(muted, { content: `@${me.username} muted mention` });
    await post(blocked, { content: `@${me.username} blocked mention` });
    // A followers-only post mentioning me, by someone I do not follow: I may not see it.
    await post(stranger, { content: `@${me.username} secret`, visibility: 'followers' });

    await settle(me, 0);
    expect((await list(me)).map((n) => n.type)).toEqual(['follow']);
  });

  it('does not notify twice when a like is removed and given again, nor for a redelivered event', async () => {
    const [me, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const mine = await post(me, { content: 'like me' });
    await t.http.post(`/api/v1/posts/${mine.id}/like`).set(as(fan)).expect(200);
    await arrive(me, 1);
    await t.http.delete(`/api/v1/posts/${mine.id}/like`).set(as(fan)).expect(200);
    await t.http.post(`/api/v1/posts/${mine.id}/like`).set(as(fan)).expect(200);
    await t.http.post(`/api/v1/posts/${mine.id}/like`).set(as(fan)).expect(200);
    await settle(me, 1);
    expect((await list(me)).filter((n) => n.type === 'like')).toHaveLength(1);
  });

  it('notifies every active subscriber when a creator publishes a premium post, in batches', async () => {
    const [creator, active, pastDue, canceled] = await Promise.all([createSignedInUser(t), createSignedInUser(t), createSignedInUser(t), createSignedInUser(t)]);
    const em = t.em();
    const sub = (user: SignedInUser, status: Subscription['status'], periodEnd: Date) =>
      em.create(Subscription, {
        subscriber: em.getReference(User, user.id),
        creator: em.getReference(User, creator.id),
        status,
        priceCents: 500,
        currentPeriodStart: new Date(periodEnd.getTime() - 30 * 86400_000),
        currentPeriodEnd: periodEnd,
      });
    sub(active, 'active', new Date(Date.now() + 86400_000));
    sub(pastDue, 'past_due', new Date(Date.now() - 86400_000));
    sub(canceled, 'canceled', new Date(Date.now() + 86400_000));
    await em.flush();

    const premium = await post(creator, { content: 'for subscribers', is_premium: true, preview: 'teaser' });
    const got = await arrive(active, 1);
    expect(got[0]).toMatchObject({ type: 'subscribed_post', post: { id: premium.id, locked: false } });
    await arrive(pastDue, 1);
    await settle(canceled, 0);
    expect((await list(canceled)).map((n) => n.type)).toEqual(['follow']);
  });

  it('streams a new notification over Server-Sent Events to the signed-in user', async () => {
    const [me, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const port = await t.listen();
    const received = new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: `/api/v1/streaming/notifications?access_token=${me.accessToken}` }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const event = buffer.split('\n\n').find((block) => block.includes('event: notification'));
          if (event) {
            req.destroy();
            resolve(event);
          }
        });
      });
      req.on('error', (error) => (error.message.includes('aborted') || error.message.includes('socket hang up') ? undefined : reject(error)));
      req.end();
      // Follow once the stream is open (its subscription is in place after the first bytes).
      req.on('response', () => void t.http.post(`/api/v1/users/${me.username}/follow`).set(as(fan)).expect(200).then(() => undefined));
    });
    const event = await received;
    const data = JSON.parse(event.split('\n').find((line) => line.startsWith('data: '))!.slice(6));
    expect(data).toMatchObject({ type: 'follow', from_user: { username: fan.username } });
    await t.http.get('/api/v1/streaming/notifications').expect(401);
  });
});

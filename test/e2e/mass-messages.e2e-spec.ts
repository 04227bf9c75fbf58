import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expectProblem, ISO_UTC } from '../factories/http';
import { as, createMedia, follow, subscribe, suspend } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { TestApp, useTestApp } from '../support/app';
import { waitFor } from '../support/wait';
import { startWorkerProcess, untilRunning, WorkerProcess } from '../support/worker-process';

interface MassBody {
  id: string;
  status: 'scheduled' | 'sending' | 'sent' | 'canceled';
  recipients_count: number;
  sent_count: number;
  read_count: number;
  unlocked_count: number;
  revenue_cents: number;
  scheduled_at: string | null;
  created_at: string;
}

interface MessageBody {
  id: string;
  conversation_id: string;
  content: string | null;
  content_html: string | null;
  media: Record<string, unknown>[];
  price_cents: number | null;
  locked: boolean;
  preview: string | null;
  deleted_at: string | null;
}

interface ConversationBody {
  id: string;
  with: { id: string };
  status: 'active' | 'request';
  unread_count: number;
  last_message?: MessageBody | null;
}

const SECRET = 'the words only buyers read';

/** `count` accounts following `creator`, written in one statement (ids answered in id order). */
async function seedFollowers(t: TestApp, creator: { id: string }, count: number): Promise<string[]> {
  const tag = randomBytes(4).toString('hex');
  const rows = await t.sql<{ id: string }>(
    `with fans as (
       insert into users (id, username, email, created_at, updated_at)
       select uuid_generate_v7(), 'mf_' || ? || '_' || i, 'mf_' || ? || '_' || i || '@example.test', now(), now()
         from generate_series(1, ?) i returning id),
     f as (insert into follows (id, follower_id, following_id, created_at) select uuid_generate_v7(), id, ?, now() from fans returning follower_id)
     select follower_id as id from f order by follower_id`,
    [tag, tag, count, creator.id],
  );
  return rows.map((r) => r.id);
}

/** Copies of a mass message: how many rows, and how many distinct recipients. */
async function copies(t: TestApp, massId: string): Promise<{ n: number; people: number }> {
  const [row] = await t.sql<{ n: number; people: number }>('select count(*)::int as n, count(distinct recipient_id)::int as people from messages where mass_message_id = ?', [
    massId,
  ]);
  return row;
}

describe('Mass messages: audience, fan-out, figures, unsend, schedule', () => {
  const t = useTestApp({
    env: { RATE_LIMIT_MESSAGE: '1000/1m', MASS_MESSAGE_BATCH_SIZE: '40', MASS_MESSAGE_SWEEP_EVERY: '1s' },
    redisScope: 'mass-messages',
  });

  const mass = (user: SignedInUser, body: object) => as(t, user).post('/messages/mass', body);
  const status = async (user: SignedInUser, id: string) => (await as(t, user).get(`/messages/mass/${id}`).expect(200)).body as MassBody;
  const untilSent = (user: SignedInUser, id: string) => waitFor(() => status(user, id), (m) => m.status === 'sent', 20_000, 50);
  const list = async (user: SignedInUser) => (await as(t, user).get('/conversations').expect(200)).body.data as ConversationBody[];
  const conversationWith = async (user: SignedInUser, other: { id: string }) => (await list(user)).find((c) => c.with.id === other.id);
  /** A tier of `creator`'s, as billing would leave it (no Stripe in this suite). */
  const seedTier = async (creator: SignedInUser, name: string, position: number, monthlyCents: number): Promise<string> =>
    (
      await t.sql<{ id: string }>(
        'insert into tiers (id, creator_id, name, monthly_price_cents, position) values (uuid_generate_v7(), ?, ?, ?, ?) returning id',
        [creator.id, name, monthlyCents, position],
      )
    )[0].id;
  const messagesIn = async (user: SignedInUser, conversationId: string) =>
    (await as(t, user).get(`/conversations/${conversationId}/messages`).expect(200)).body.data as MessageBody[];

  it('answers 202 with its figures, and reaches every follower once, in batches, with an active conversation and an unread count', async () => {
    const creator = await createSignedInUser(t);
    const fans = await seedFollowers(t, creator, 300);
    const res = await mass(creator, { content: 'hello fans', audience: { include: ['followers'] } }).expect(202);
    expect(res.body).toEqual({
      id: expect.any(String),
      status: 'sending',
      recipients_count: expect.any(Number),
      sent_count: expect.any(Number),
      read_count: 0,
      unlocked_count: 0,
      revenue_cents: 0,
      scheduled_at: null,
      created_at: expect.stringMatching(ISO_UTC),
    });
    const done = await untilSent(creator, res.body.id);
    expect(done).toMatchObject({ status: 'sent', recipients_count: 300, sent_count: 300 });
    expect(await copies(t, res.body.id)).toEqual({ n: 300, people: 300 });
    const sides = await t.sql<{ status: string; unread_count: number; last_message_id: string | null; n: number }>(
      `select cm.status, cm.unread_count, (cm.last_message_id is not null) as has_last, count(*)::int as n
         from messages m join conversation_members cm on cm.conversation_id = m.conversation_id and cm.user_id = m.recipient_id
        where m.mass_message_id = ? group by 1, 2, 3`,
      [res.body.id],
    );
    expect(sides).toEqual([{ status: 'active', unread_count: 1, has_last: true, n: 300 }]);
    expect(fans).toHaveLength(300);

    // A second mass message to the same audience reuses the conversations.
    const again = await mass(creator, { content: 'again', audience: { include: ['followers'] } }).expect(202);
    await untilSent(creator, again.body.id);
    const [conversations] = await t.sql<{ n: number }>('select count(*)::int as n from conversations where user_low_id = ? or user_high_id = ?', [creator.id, creator.id]);
    expect(conversations.n).toBe(300);
    // Existing conversations: each recipient's side counts both, and shows the newer copy.
    const after = await t.sql<{ unread_count: number; latest: boolean; n: number }>(
      `select cm.unread_count, (cm.last_message_id = m.id) as latest, count(*)::int as n
         from messages m join conversation_members cm on cm.conversation_id = m.conversation_id and cm.user_id = m.recipient_id
        where m.mass_message_id = ? group by 1, 2`,
      [again.body.id],
    );
    expect(after).toEqual([{ unread_count: 2, latest: true, n: 300 }]);
  });

  it('sends to the union of includes minus the excludes, and skips blocks either way, dm_policy, suspended accounts and the sender', async () => {
    const creator = await createSignedInUser(t);
    const [follower, subscriber, both, listed, excluded, blocksMe, blockedByMe, closed, gone, expired] = await Promise.all(
      Array.from({ length: 10 }, () => createSignedInUser(t)),
    );
    for (const u of [follower, both, blocksMe, blockedByMe, closed, gone, excluded]) await follow(t, u, creator);
    for (const u of [subscriber, both]) await subscribe(t, u, creator);
    await subscribe(t, expired, creator, { status: 'canceled', currentPeriodEnd: new Date(Date.now() - 86_400_000) });
    // A checkout whose first payment never went through is no subscription the fan had.
    await subscribe(t, await createSignedInUser(t), creator, { status: 'incomplete_expired' });
    const listId = (await as(t, creator).post('/lists', { name: 'vip' }).expect(201)).body.id as string;
    const excludeList = (await as(t, creator).post('/lists', { name: 'not these' }).expect(201)).body.id as string;
    await as(t, creator).post(`/lists/${listId}/members`, { usernames: [listed.username] }).expect(200);
    await as(t, creator).post(`/lists/${excludeList}/members`, { usernames: [excluded.username] }).expect(200);
    await as(t, blocksMe).post(`/users/${creator.username}/block`).expect(200);
    await as(t, creator).post(`/users/${blockedByMe.username}/block`).expect(200);
    // A block removes follows both ways; their paid subscriptions run to the period end: still in the audience.
    for (const u of [blocksMe, blockedByMe]) await subscribe(t, u, creator);
    await as(t, closed).patch('/me', { dm_policy: 'nobody' }).expect(200);
    await suspend(t, gone);
    // `subscribers`: only accounts subscribed to them may start a conversation, and the sender is not.
    const [picky, engaged] = [await createSignedInUser(t), await createSignedInUser(t)];
    for (const u of [picky, engaged]) await follow(t, u, creator);
    await as(t, picky).patch('/me', { dm_policy: 'subscribers' }).expect(200);
    // `nobody`, but they started a conversation with the sender themselves: their side is active, the policy no longer stops it.
    await as(t, engaged).post('/conversations', { username: creator.username }).expect(201);
    await as(t, engaged).patch('/me', { dm_policy: 'nobody' }).expect(200);

    const res = await mass(creator, {
      content: 'for some of you',
      audience: { include: ['followers', 'subscribers', `list:${listId}`], exclude: [`list:${excludeList}`] },
    }).expect(202);
    await untilSent(creator, res.body.id);
    const got = await t.sql<{ recipient_id: string }>('select recipient_id from messages where mass_message_id = ?', [res.body.id]);
    const ids = got.map((r) => r.recipient_id).sort();
    expect(ids).toEqual([follower.id, subscriber.id, both.id, listed.id, engaged.id].sort());
    for (const nobody of [excluded, blocksMe, blockedByMe, closed, picky]) expect(await conversationWith(nobody, creator)).toBeUndefined();

    const lapsed = await mass(creator, { content: 'come back', audience: { include: ['expired_subscribers'] } }).expect(202);
    await untilSent(creator, lapsed.body.id);
    expect((await t.sql<{ recipient_id: string }>('select recipient_id from messages where mass_message_id = ?', [lapsed.body.id])).map((r) => r.recipient_id)).toEqual([
      expired.id,
    ]);
    // The recipient reads it: the figure follows.
    const conversation = (await conversationWith(expired, creator))!;
    await as(t, expired).post(`/conversations/${conversation.id}/read`, {}).expect(204);
    expect((await status(creator, lapsed.body.id)).read_count).toBe(1);
  });

  it('a locked copy shows neither content nor media to its recipient (page, last_message, stream) until bought; figures count the sale', async () => {
    const creator = await createSignedInUser(t);
    const [fan, buyer] = [await createSignedInUser(t), await createSignedInUser(t)];
    await follow(t, fan, creator);
    await follow(t, buyer, creator);
    const media = await createMedia(t, creator);
    const port = await t.listen();

    // The fan's stream is open before the send: the live copy must come locked.
    const event = new Promise<MessageBody>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: `/api/v1/streaming/notifications?access_token=${fan.accessToken}` }, (res) => {
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          if (buffer.includes(': connected') && !buffer.includes('sent!')) {
            buffer += 'sent!';
            void mass(creator, { content: SECRET, media_ids: [media.id], price_cents: 500, preview: 'a teaser', audience: { include: ['followers'] } })
              .expect(202)
              .then(() => undefined, reject);
          }
          const block = buffer.split('\n\n').find((b) => b.includes('event: message'));
          if (block) {
            req.destroy();
            resolve(JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as MessageBody);
          }
        });
      });
      req.on('error', (error) => (error.message.includes('aborted') || error.message.includes('socket hang up') ? undefined : reject(error)));
      req.end();
    });
    const live = await event;
    expect(JSON.stringify(live)).not.toContain(SECRET);
    expect(live).toMatchObject({ content: null, content_html: null, locked: true, preview: 'a teaser', price_cents: 500, media: [{ id: media.id, type: 'image' }] });
    expect(Object.keys(live.media[0]).sort()).toEqual(['id', 'type']);

    const [{ id: massId }] = await t.sql<{ id: string }>('select id from mass_messages where sender_id = ?', [creator.id]);
    await untilSent(creator, massId);
    const conversation = (await conversationWith(fan, creator))!;
    expect(conversation.status).toBe('active');
    expect(JSON.stringify(conversation)).not.toContain(SECRET);
    expect(conversation.last_message).toMatchObject({ locked: true, content: null, media: [{ id: media.id, type: 'image' }] });
    const page = await messagesIn(fan, conversation.id);
    expect(JSON.stringify(page)).not.toContain(SECRET);
    expect(JSON.stringify(page)).not.toContain('media.example.test');

    // The sender sees their copies whole, media included (shared by every copy).
    const mine = await messagesIn(creator, conversation.id);
    expect(mine[0]).toMatchObject({ content: SECRET, locked: false });
    expect(mine[0].media[0]).toMatchObject({ id: media.id, url: expect.any(String) });

    // A purchase (as the webhook leaves it) opens the buyer's copy, media with URLs, and counts in the figures.
    const [buyerCopy] = await t.sql<{ id: string; conversation_id: string }>('select id, conversation_id from messages where mass_message_id = ? and recipient_id = ?', [
      massId,
      buyer.id,
    ]);
    await t.sql(`insert into message_unlocks (id, user_id, message_id, price_cents, status) values (uuid_generate_v7(), ?, ?, 500, 'paid')`, [buyer.id, buyerCopy.id]);
    const bought = await messagesIn(buyer, buyerCopy.conversation_id);
    expect(bought[0]).toMatchObject({ content: SECRET, locked: false });
    expect(bought[0].media[0]).toMatchObject({ id: media.id, url: expect.any(String) });
    expect(await status(creator, massId)).toMatchObject({ unlocked_count: 1, revenue_cents: 500, recipients_count: 2 });

    // Unsending the mass message: every copy not bought is unsent; the buyer keeps theirs.
    await as(t, creator).delete(`/messages/mass/${massId}`).expect(204);
    const after = await messagesIn(fan, conversation.id);
    expect(after[0]).toMatchObject({ content: null, media: [], deleted_at: expect.stringMatching(ISO_UTC) });
    expect((await messagesIn(buyer, buyerCopy.conversation_id))[0]).toMatchObject({ content: SECRET, deleted_at: null });
    expect(await status(creator, massId)).toMatchObject({ status: 'canceled', recipients_count: 2, sent_count: 1 });
  });

  it('tier:<id> reaches the active subscribers at that tier or a higher one (two tiers), and nobody else', async () => {
    const creator = await createSignedInUser(t);
    const [silver, gold] = [await seedTier(creator, 'Silver', 1, 500), await seedTier(creator, 'Gold', 2, 1500)];
    const [silverFan, goldFan, tierless, lapsedGold, follower] = await Promise.all(Array.from({ length: 5 }, () => createSignedInUser(t)));
    await subscribe(t, silverFan, creator, { tierId: silver });
    await subscribe(t, goldFan, creator, { tierId: gold, priceCents: 1500 });
    await subscribe(t, tierless, creator);
    await subscribe(t, lapsedGold, creator, { tierId: gold, status: 'canceled' });
    await follow(t, follower, creator);
    const recipients = async (massId: string) =>
      (await t.sql<{ recipient_id: string }>('select recipient_id from messages where mass_message_id = ? order by recipient_id', [massId])).map((r) => r.recipient_id);

    const toSilver = await mass(creator, { content: 'silver and up', audience: { include: [`tier:${silver.toUpperCase()}`] } }).expect(202);
    await untilSent(creator, toSilver.body.id);
    expect(await recipients(toSilver.body.id)).toEqual([silverFan.id, goldFan.id].sort());

    const toGold = await mass(creator, { content: 'gold only', audience: { include: [`tier:${gold}`] } }).expect(202);
    await untilSent(creator, toGold.body.id);
    expect(await recipients(toGold.body.id)).toEqual([goldFan.id]);

    const silverOnly = await mass(creator, { content: 'not gold', audience: { include: ['subscribers'], exclude: [`tier:${gold}`] } }).expect(202);
    await untilSent(creator, silverOnly.body.id);
    expect(await recipients(silverOnly.body.id)).toEqual([silverFan.id, tierless.id].sort());
  });

  it('refuses another creator\'s list and tier as a segment (422), no content, a past schedule, and bad segments', async () => {
    const [creator, other] = [await createSignedInUser(t), await createSignedInUser(t)];
    const theirs = (await as(t, other).post('/lists', { name: 'theirs' }).expect(201)).body.id as string;
    const tier = await seedTier(other, 'Theirs', 1, 500);
    expectProblem(await mass(creator, { content: 'x', audience: { include: ['followers'], exclude: ['tier:0190f1a2-0000-7000-8000-000000000001'] } }), 422, 'validation_failed');
    const res = await mass(creator, { content: 'x', audience: { include: [`list:${theirs}`] } });
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors).toEqual([{ field: 'audience', message: `unknown_segment: list:${theirs}` }]);
    expectProblem(await mass(creator, { content: 'x', audience: { include: ['followers'], exclude: [`list:${theirs}`] } }), 422, 'validation_failed');
    expectProblem(await mass(creator, { content: 'x', audience: { include: [`tier:${tier}`] } }), 422, 'validation_failed');
    expectProblem(await mass(creator, { audience: { include: ['followers'] } }), 422, 'validation_failed');
    expectProblem(await mass(creator, { content: 'x', audience: { include: ['followers'] }, scheduled_at: new Date(Date.now() - 1000).toISOString() }), 422, 'validation_failed');
    expect((await mass(creator, { content: 'x', audience: { include: ['everyone'] } })).status).toBeGreaterThanOrEqual(400);
    expect((await mass(creator, { content: 'x', audience: { include: [] } })).status).toBeGreaterThanOrEqual(400);
    expect((await mass(creator, { content: 'x', audience: { include: ['followers'], extra: 1 } })).status).toBe(400);
    const [{ n }] = await t.sql<{ n: number }>('select count(*)::int as n from mass_messages where sender_id = ?', [creator.id]);
    expect(n).toBe(0);
  });

  it('is invisible to anyone but its sender (404 on read and delete)', async () => {
    const [creator, stranger, fan] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
    await follow(t, fan, creator);
    const res = await mass(creator, { content: 'mine', audience: { include: ['followers'] } }).expect(202);
    expectProblem(await as(t, stranger).get(`/messages/mass/${res.body.id}`), 404, 'not_found');
    expectProblem(await as(t, fan).get(`/messages/mass/${res.body.id}`), 404, 'not_found');
    expectProblem(await as(t, stranger).delete(`/messages/mass/${res.body.id}`), 404, 'not_found');
    expect((await as(t, stranger).get('/messages/mass').expect(200)).body.data).toEqual([]);
    await untilSent(creator, res.body.id);
    expect((await status(creator, res.body.id)).sent_count).toBe(1);
  });

  it('lists the sender\'s own, newest first, with a keyset cursor', async () => {
    const creator = await createSignedInUser(t);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await mass(creator, { content: `n${i}`, audience: { include: ['followers'] } }).expect(202)).body.id as string);
    const first = await as(t, creator).get('/messages/mass?limit=2').expect(200);
    expect(first.body.data.map((m: MassBody) => m.id)).toEqual([ids[2], ids[1]]);
    const second = await as(t, creator).get(`/messages/mass?limit=2&cursor=${first.body.next_cursor}`).expect(200);
    expect(second.body.data.map((m: MassBody) => m.id)).toEqual([ids[0]]);
    expect(second.body.next_cursor).toBeNull();
  });

  it('sends a scheduled one when its time comes, and a canceled one never', async () => {
    const creator = await createSignedInUser(t);
    const fan = await createSignedInUser(t);
    await follow(t, fan, creator);
    const at = new Date(Date.now() + 1500).toISOString();
    const res = await mass(creator, { content: 'later', audience: { include: ['followers'] }, scheduled_at: at }).expect(202);
    expect(res.body).toMatchObject({ status: 'scheduled', scheduled_at: at, recipients_count: 0 });
    const canceled = await mass(creator, { content: 'never', audience: { include: ['followers'] }, scheduled_at: at }).expect(202);
    await as(t, creator).delete(`/messages/mass/${canceled.body.id}`).expect(204);
    expect(await untilSent(creator, res.body.id)).toMatchObject({ status: 'sent', recipients_count: 1 });
    expect(await status(creator, canceled.body.id)).toMatchObject({ status: 'canceled', recipients_count: 0 });
    expect(await copies(t, canceled.body.id)).toEqual({ n: 0, people: 0 });
  });

  it('a scheduled one whose time came while no worker swept still goes', async () => {
    const creator = await createSignedInUser(t);
    const fan = await createSignedInUser(t);
    await follow(t, fan, creator);
    const res = await mass(creator, { content: 'overdue', audience: { include: ['followers'] }, scheduled_at: new Date(Date.now() + 60_000).toISOString() }).expect(202);
    // As if the time had come while every worker was down: the row is overdue, and nothing in Redis knows of it.
    await t.sql(`update mass_messages set scheduled_at = now() - interval '1 hour' where id = ?`, [res.body.id]);
    expect(await untilSent(creator, res.body.id)).toMatchObject({ status: 'sent', recipients_count: 1 });
  });
});

describe('A worker killed in the middle of a mass message', () => {
  const workers: WorkerProcess[] = [];
  afterAll(() => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  });
  // The API only: separate worker processes fan out, and the first is killed half-way.
  const t = useTestApp({ env: { APP_ROLE: 'api' } });
  const env = { MASS_MESSAGE_BATCH_SIZE: '20' };

  it('neither loses nor doubles a copy: another worker resumes after the last committed batch', async () => {
    const AUDIENCE = 4000;
    const creator = await createSignedInUser(t);
    await seedFollowers(t, creator, AUDIENCE);
    const res = await as(t, creator).post('/messages/mass', { content: 'to everyone', audience: { include: ['followers'] } }).expect(202);
    const id = res.body.id as string;

    const first = startWorkerProcess(env);
    workers.push(first);
    await untilRunning(first);
    await waitFor(() => copies(t, id), (c) => c.n > 0, 30_000, 5);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await copies(t, id);
    expect(atKill.n).toBeLessThan(AUDIENCE);
    expect(atKill.n).toBe(atKill.people);

    const second = startWorkerProcess(env);
    workers.push(second);
    await untilRunning(second);
    const done = await waitFor(() => copies(t, id), (c) => c.n >= AUDIENCE, 60_000, 200);
    expect(done).toEqual({ n: AUDIENCE, people: AUDIENCE });
    const finished = await waitFor(
      async () => (await as(t, creator).get(`/messages/mass/${id}`).expect(200)).body as MassBody,
      (m) => m.status === 'sent',
      30_000,
      100,
    );
    expect(finished).toMatchObject({ status: 'sent', recipients_count: AUDIENCE, sent_count: AUDIENCE });
    const [unread] = await t.sql<{ total: number }>(
      `select coalesce(sum(cm.unread_count), 0)::int as total from conversation_members cm join messages m
         on m.conversation_id = cm.conversation_id and m.recipient_id = cm.user_id where m.mass_message_id = ?`,
      [id],
    );
    expect(unread.total).toBe(AUDIENCE);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 150_000);
});

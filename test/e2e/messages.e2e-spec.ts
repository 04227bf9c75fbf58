import { request as httpRequest } from 'node:http';
import { expectProblem, ISO_UTC } from '../factories/http';
import { as, createMedia, follow, subscribe, suspend } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { TestApp, useTestApp } from '../support/app';

interface MessageBody {
  id: string;
  conversation_id: string;
  sender: { id: string; username: string };
  content: string | null;
  content_html: string | null;
  media: Record<string, unknown>[];
  price_cents: number | null;
  locked: boolean;
  preview: string | null;
  tip_cents: number | null;
  created_at: string;
  deleted_at: string | null;
}

interface ConversationBody {
  id: string;
  with: { id: string; username: string };
  status: 'active' | 'request';
  unread_count: number;
  last_message?: MessageBody | null;
  created_at: string;
  updated_at: string;
}

const SECRET = 'the secret only buyers read';

/** Opens the notification stream as `user` and answers the first `message` event's data once `act` has run. */
async function firstMessageEvent(t: TestApp, user: SignedInUser, act: () => Promise<unknown>): Promise<{ raw: string; data: MessageBody }> {
  const port = await t.listen();
  const raw = await new Promise<string>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: `/api/v1/streaming/notifications?access_token=${user.accessToken}` }, (res) => {
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        if (buffer.includes(': connected')) void act().catch(reject);
        const event = buffer.split('\n\n').find((block) => block.includes('event: message'));
        if (event) {
          req.destroy();
          resolve(event);
        }
      });
    });
    req.on('error', (error) => (error.message.includes('aborted') || error.message.includes('socket hang up') ? undefined : reject(error)));
    req.end();
  });
  return { raw, data: JSON.parse(raw.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as MessageBody };
}

describe('Direct messages: conversations, requests, read state, paid messages and unsend', () => {
  const t = useTestApp({ env: { RATE_LIMIT_MESSAGE: '1000/1m' }, redisScope: 'messages' });

  /** A conversation `from` started with `to`, `to` following `from` so it is active on both sides. */
  async function pair(): Promise<{ a: SignedInUser; b: SignedInUser; id: string }> {
    const [a, b] = [await createSignedInUser(t), await createSignedInUser(t)];
    await follow(t, b, a);
    const res = await as(t, a).post('/conversations', { username: b.username }).expect(201);
    return { a, b, id: res.body.id };
  }

  const send = (user: SignedInUser, id: string, body: object) => as(t, user).post(`/conversations/${id}/messages`, body);
  const messages = async (user: SignedInUser, id: string) => (await as(t, user).get(`/conversations/${id}/messages`).expect(200)).body.data as MessageBody[];
  const list = async (user: SignedInUser, status = 'active') => (await as(t, user).get(`/conversations?status=${status}`).expect(200)).body.data as ConversationBody[];
  const unread = async (user: SignedInUser) => (await as(t, user).get('/conversations/unread_count').expect(200)).body.count as number;

  describe('starting a conversation', () => {
    it('answers 201 with a new conversation, then 200 with the same one from either side', async () => {
      const { a, b, id } = await pair();
      const again = await as(t, a).post('/conversations', { username: b.username.toUpperCase() }).expect(200);
      expect(again.body.id).toBe(id);
      const fromB = await as(t, b).post('/conversations', { username: a.username }).expect(200);
      expect(fromB.body).toEqual({
        id,
        with: { id: a.id, username: a.username, display_name: a.username, avatar_url: null, verified: false },
        status: 'active',
        unread_count: 0,
        last_message: null,
        created_at: expect.stringMatching(ISO_UTC),
        updated_at: expect.stringMatching(ISO_UTC),
      });
    });

    it('refuses yourself (422), an unknown or suspended account (404), and unknown fields (400)', async () => {
      const [a, gone] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
      await suspend(t, gone);
      expectProblem(await as(t, a).post('/conversations', { username: a.username }), 422, 'validation_failed');
      expectProblem(await as(t, a).post('/conversations', { username: 'nobody_here_at_all' }), 404, 'not_found');
      expectProblem(await as(t, a).post('/conversations', { username: gone.username }), 404, 'not_found');
      expectProblem(await as(t, a).post('/conversations', { username: gone.username, extra: 1 }), 400, 'validation_failed');
    });

    it('is refused (403) across a block either way', async () => {
      const [a, b, c] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      await as(t, b).post(`/users/${a.username}/block`).expect(200);
      expectProblem(await as(t, a).post('/conversations', { username: b.username }), 403, 'forbidden');
      await as(t, a).post(`/users/${c.username}/block`).expect(200);
      expectProblem(await as(t, a).post('/conversations', { username: c.username }), 403, 'forbidden');
    });

    it('follows the recipient dm_policy: everyone, following (and subscribers), subscribers, nobody', async () => {
      const [me, followed, fan, stranger] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      await follow(t, me, followed);
      await subscribe(t, fan, me);
      const policy = async (value: string) => {
        const res = await as(t, me).patch('/me', { dm_policy: value }).expect(200);
        expect(res.body.dm_policy).toBe(value);
      };
      const start = (from: SignedInUser) => as(t, from).post('/conversations', { username: me.username });

      await policy('nobody');
      for (const from of [followed, fan, stranger]) expectProblem(await start(from), 403, 'forbidden');
      await policy('subscribers');
      expectProblem(await start(followed), 403, 'forbidden');
      expectProblem(await start(stranger), 403, 'forbidden');
      await start(fan).expect(201);
      await policy('following');
      expectProblem(await start(stranger), 403, 'forbidden');
      await start(followed).expect(201);
      await policy('everyone');
      await start(stranger).expect(201);
      expectProblem(await as(t, me).patch('/me', { dm_policy: 'friends' }), 400, 'validation_failed');
    });
  });

  describe('requests', () => {
    it('lists a stranger conversation as a request without unread count until the recipient accepts it', async () => {
      const [creator, stranger] = [await createSignedInUser(t), await createSignedInUser(t)];
      const { body: conversation } = await as(t, stranger).post('/conversations', { username: creator.username }).expect(201);
      // Nothing to see on the recipient side before a message.
      expect(await list(creator, 'request')).toEqual([]);
      await send(stranger, conversation.id, { content: 'hello there' }).expect(201);
      await send(stranger, conversation.id, { content: 'are you there?' }).expect(201);

      expect((await list(creator)).map((c) => c.id)).not.toContain(conversation.id);
      const [request] = await list(creator, 'request');
      expect(request).toMatchObject({ id: conversation.id, status: 'request', unread_count: 0, with: { username: stranger.username }, last_message: { content: 'are you there?' } });
      expect(await unread(creator)).toBe(0);
      expect((await list(stranger)).map((c) => c.id)).toContain(conversation.id);

      const accepted = await as(t, creator).post(`/conversations/${conversation.id}/accept`).expect(200);
      expect(accepted.body).toMatchObject({ status: 'active', unread_count: 2 });
      expect(await unread(creator)).toBe(2);
      expect(await list(creator, 'request')).toEqual([]);
    });

    it('becomes active for the recipient when they reply', async () => {
      const [creator, stranger] = [await createSignedInUser(t), await createSignedInUser(t)];
      const { body: conversation } = await as(t, stranger).post('/conversations', { username: creator.username }).expect(201);
      await send(stranger, conversation.id, { content: 'hi' }).expect(201);
      await send(creator, conversation.id, { content: 'hello back' }).expect(201);
      expect((await list(creator)).find((c) => c.id === conversation.id)).toMatchObject({ status: 'active' });
    });

    it('is active for a recipient who follows the sender or has them as a subscriber', async () => {
      const [creator, followed, fan] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      await follow(t, creator, followed);
      await subscribe(t, fan, creator);
      for (const from of [followed, fan]) {
        const { body } = await as(t, from).post('/conversations', { username: creator.username }).expect(201);
        await send(from, body.id, { content: 'hi' }).expect(201);
        expect((await list(creator)).find((c) => c.id === body.id)).toMatchObject({ status: 'active', unread_count: 1 });
      }
    });
  });

  describe('messages', () => {
    it('sends and pages a conversation newest first, with the sender and rendered HTML', async () => {
      const { a, b, id } = await pair();
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) sent.push((await send(i % 2 ? b : a, id, { content: `message ${i} <b>#tag</b>` }).expect(201)).body.id);
      const first = await as(t, b).get(`/conversations/${id}/messages?limit=3`).expect(200);
      expect(first.body.data.map((m: MessageBody) => m.id)).toEqual(sent.slice(2).reverse());
      expect(first.headers.link).toContain('rel="next"');
      const second = await as(t, b).get(`/conversations/${id}/messages?limit=3&cursor=${first.body.next_cursor}`).expect(200);
      expect(second.body.data.map((m: MessageBody) => m.id)).toEqual(sent.slice(0, 2).reverse());
      expect(second.body.next_cursor).toBeNull();
      const [latest] = first.body.data as MessageBody[];
      expect(latest).toMatchObject({ conversation_id: id, sender: { id: a.id, username: a.username }, content: 'message 4 <b>#tag</b>', locked: false, price_cents: null, deleted_at: null });
      expect(latest.content_html).not.toContain('<b>');
      expect(latest.content_html).toContain('&lt;b&gt;');
    });

    it('refuses an empty message, content over 5000, more than 4 media, a bad price or teaser', async () => {
      const { a, id } = await pair();
      expectProblem(await send(a, id, {}), 422, 'validation_failed');
      expectProblem(await send(a, id, { content: '   ' }), 422, 'validation_failed');
      expectProblem(await send(a, id, { content: 'x'.repeat(5001) }), 400, 'validation_failed');
      expectProblem(await send(a, id, { content: 'x', price_cents: 99 }), 400, 'validation_failed');
      expectProblem(await send(a, id, { content: 'x', price_cents: 100001 }), 400, 'validation_failed');
      expectProblem(await send(a, id, { content: 'x', preview: 'p'.repeat(281) }), 400, 'validation_failed');
      expectProblem(await send(a, id, { content: 'x', unknown: true }), 400, 'validation_failed');
      const media = await Promise.all(Array.from({ length: 5 }, () => createMedia(t, a)));
      expectProblem(await send(a, id, { media_ids: media.map((m) => m.id) }), 400, 'validation_failed');
    });

    it("attaches only the sender's own ready, unattached media", async () => {
      const { a, b, id } = await pair();
      const [theirs, processing, mine] = [await createMedia(t, b), await createMedia(t, a, undefined, { status: 'processing' }), await createMedia(t, a)];
      expectProblem(await send(a, id, { media_ids: [theirs.id] }), 422, 'validation_failed');
      expectProblem(await send(a, id, { media_ids: [processing.id] }), 422, 'validation_failed');
      const sent = await send(a, id, { media_ids: [mine.id] }).expect(201);
      expect(sent.body.media).toEqual([expect.objectContaining({ id: mine.id, type: 'image', url: expect.any(String) })]);
      // Attached once: not again to another message.
      expectProblem(await send(a, id, { media_ids: [mine.id] }), 422, 'validation_failed');
      const [seen] = await messages(b, id);
      expect(seen.media).toEqual([expect.objectContaining({ id: mine.id, url: expect.stringContaining('sig=') })]);
    });

    it('keeps a third party out: 404 on reading, sending, accepting, reading state and hiding', async () => {
      const { id } = await pair();
      const outsider = await createSignedInUser(t);
      const c = as(t, outsider);
      expectProblem(await c.get(`/conversations/${id}/messages`), 404, 'not_found');
      expectProblem(await c.post(`/conversations/${id}/messages`, { content: 'let me in' }), 404, 'not_found');
      expectProblem(await c.post(`/conversations/${id}/accept`), 404, 'not_found');
      expectProblem(await c.post(`/conversations/${id}/read`, {}), 404, 'not_found');
      expectProblem(await c.delete(`/conversations/${id}`), 404, 'not_found');
      expect(await t.sql('select 1 from messages where conversation_id = ?', [id])).toEqual([]);
    });

    it('keeps a third party out of a page with messages too (the page asks the membership in its own statement), before a bad cursor', async () => {
      const { a, id } = await pair();
      await send(a, id, { content: 'private words' }).expect(201);
      const c = as(t, await createSignedInUser(t));
      const answered = await c.get(`/conversations/${id}/messages`);
      expectProblem(answered, 404, 'not_found');
      expect(JSON.stringify(answered.body)).not.toContain('private words');
      expectProblem(await c.get(`/conversations/${id}/messages?cursor=not-a-cursor`), 404, 'not_found');
      expectProblem(await as(t, a).get(`/conversations/${id}/messages?cursor=not-a-cursor`), 400, 'validation_failed');
      expect((await as(t, a).get(`/conversations/${id}/messages`).expect(200)).body.data).toEqual([expect.objectContaining({ content: 'private words' })]);
    });

    it('stops sending across a block made after the conversation began, and to or from a suspended account', async () => {
      const { a, b, id } = await pair();
      await send(a, id, { content: 'before' }).expect(201);
      await as(t, b).post(`/users/${a.username}/block`).expect(200);
      expectProblem(await send(a, id, { content: 'after' }), 403, 'forbidden');
      expectProblem(await send(b, id, { content: 'after' }), 403, 'forbidden');

      const other = await pair();
      await suspend(t, other.b);
      expectProblem(await send(other.a, other.id, { content: 'to a suspended account' }), 403, 'forbidden');
    });
  });

  describe('reports', () => {
    it('lets a participant report a message (once while open), never an outsider (404) or its own sender (422)', async () => {
      const { a, b, id } = await pair();
      const message = (await send(a, id, { content: 'abusive words' }).expect(201)).body as MessageBody;
      const first = await as(t, b).post('/reports', { message_id: message.id, reason: 'abuse' }).expect(201);
      expect(first.body).toEqual({ id: expect.any(String), status: 'open', reason: 'abuse', created_at: expect.stringMatching(ISO_UTC) });
      const again = await as(t, b).post('/reports', { message_id: message.id, reason: 'spam' }).expect(200);
      expect(again.body.id).toBe(first.body.id);
      // A report on the account is another target.
      const account = await as(t, b).post('/reports', { username: a.username, reason: 'abuse' }).expect(201);
      expect(account.body.id).not.toBe(first.body.id);
      expect(await t.sql('select target_user_id, target_message_id from reports where id = ?', [first.body.id])).toEqual([{ target_user_id: a.id, target_message_id: message.id }]);

      expectProblem(await as(t, await createSignedInUser(t)).post('/reports', { message_id: message.id, reason: 'abuse' }), 404, 'not_found');
      expectProblem(await as(t, a).post('/reports', { message_id: message.id, reason: 'abuse' }), 422, 'validation_failed');
      expectProblem(await as(t, b).post('/reports', { message_id: message.id, username: a.username, reason: 'abuse' }), 422, 'validation_failed');
    });
  });

  describe('unread counts and read state', () => {
    it('counts 50 concurrent sends exactly, and reading sets the count to 0', async () => {
      const { a, b, id } = await pair();
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => send(a, id, { content: `burst ${i}` })));
      expect(answers.map((r) => r.status)).toEqual(Array(50).fill(201));
      expect(await unread(b)).toBe(50);
      expect((await list(b)).find((c) => c.id === id)).toMatchObject({ unread_count: 50 });
      expect(await unread(a)).toBe(0);
      await as(t, b).post(`/conversations/${id}/read`, {}).expect(204);
      expect(await unread(b)).toBe(0);
    });

    it('reads up to a message, counting what came after it', async () => {
      const { a, b, id } = await pair();
      const sent: string[] = [];
      for (let i = 0; i < 4; i++) sent.push((await send(a, id, { content: `m${i}` }).expect(201)).body.id);
      await as(t, b).post(`/conversations/${id}/read`, { up_to_id: sent[1] }).expect(204);
      expect(await unread(b)).toBe(2);
      const other = await pair();
      const foreign = (await send(other.a, other.id, { content: 'elsewhere' }).expect(201)).body.id;
      expectProblem(await as(t, b).post(`/conversations/${id}/read`, { up_to_id: foreign }), 404, 'not_found');
      expectProblem(await as(t, b).post(`/conversations/${id}/read`, { up_to_id: 'nope' }), 400, 'validation_failed');
    });

    it('counts sends concurrent with reads exactly (the count equals the messages after the read position)', async () => {
      const { a, b, id } = await pair();
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => send(a, id, { content: `race ${i}` }).expect(201)),
        ...Array.from({ length: 5 }, () => as(t, b).post(`/conversations/${id}/read`, {}).expect(204)),
      ]);
      const count = await unread(b);
      expect(count).toBeGreaterThanOrEqual(0);
      expect(count).toBeLessThanOrEqual(20);
      await send(a, id, { content: 'one more' }).expect(201);
      expect(await unread(b)).toBe(count + 1);
      await as(t, b).post(`/conversations/${id}/read`, {}).expect(204);
      expect(await unread(b)).toBe(0);
    });
  });

  describe('hiding and declining', () => {
    it('hides a conversation for one side until a new message shows it again', async () => {
      const { a, b, id } = await pair();
      await send(a, id, { content: 'first' }).expect(201);
      await as(t, b).delete(`/conversations/${id}`).expect(204);
      expect((await list(b)).map((c) => c.id)).not.toContain(id);
      expect((await list(a)).map((c) => c.id)).toContain(id);
      await send(a, id, { content: 'second' }).expect(201);
      expect((await list(b)).find((c) => c.id === id)).toMatchObject({ last_message: { content: 'second' } });
    });

    it('declines a request (hidden) until the stranger writes again', async () => {
      const [creator, stranger] = [await createSignedInUser(t), await createSignedInUser(t)];
      const { body } = await as(t, stranger).post('/conversations', { username: creator.username }).expect(201);
      await send(stranger, body.id, { content: 'hi' }).expect(201);
      await as(t, creator).delete(`/conversations/${body.id}`).expect(204);
      expect(await list(creator, 'request')).toEqual([]);
      await send(stranger, body.id, { content: 'hi again' }).expect(201);
      expect((await list(creator, 'request')).map((c) => c.id)).toEqual([body.id]);
    });
  });

  describe('paid messages', () => {
    it('locks a paid message for its recipient on every path (page, last_message, the stream), never for its sender', async () => {
      const { a, b, id } = await pair();
      const media = await createMedia(t, a);
      const { data: streamed, raw } = await firstMessageEvent(t, b, () =>
        send(a, id, { content: SECRET, media_ids: [media.id], price_cents: 500, preview: 'a teaser' }).expect(201),
      );
      expect(streamed).toMatchObject({ locked: true, content: null, content_html: null, price_cents: 500, preview: 'a teaser', media: [{ id: media.id, type: 'image' }] });
      expect(raw).not.toContain(SECRET);
      expect(raw).not.toContain(media.storageKey);

      const [page] = await messages(b, id);
      expect(page).toMatchObject({ id: streamed.id, locked: true, content: null, content_html: null });
      expect(page.media).toEqual([{ id: media.id, type: 'image' }]);
      const [conversation] = (await list(b)).filter((c) => c.id === id);
      expect(conversation.last_message).toMatchObject({ id: streamed.id, locked: true, content: null, media: [{ id: media.id, type: 'image' }] });
      const everything = JSON.stringify([(await as(t, b).get(`/conversations/${id}/messages`)).body, (await as(t, b).get('/conversations')).body]);
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(media.storageKey);

      const [own] = await messages(a, id);
      expect(own).toMatchObject({ locked: false, content: SECRET, media: [expect.objectContaining({ id: media.id, url: expect.any(String) })] });
    });

    it('a subscription does not open a paid message (pay-per-view, as for posts)', async () => {
      const { a, b, id } = await pair();
      await subscribe(t, b, a);
      await send(a, id, { content: SECRET, price_cents: 300 }).expect(201);
      const [seen] = await messages(b, id);
      expect(seen).toMatchObject({ locked: true, content: null });
    });
  });

  describe('unsend', () => {
    it('removes content and media for both sides, keeps the row with deleted_at, and only the sender may do it', async () => {
      const { a, b, id } = await pair();
      const media = await createMedia(t, a);
      const sent = (await send(a, id, { content: 'regret', media_ids: [media.id] }).expect(201)).body as MessageBody;
      expectProblem(await as(t, b).delete(`/messages/${sent.id}`), 404, 'not_found');
      expectProblem(await as(t, (await createSignedInUser(t))).delete(`/messages/${sent.id}`), 404, 'not_found');
      await as(t, a).delete(`/messages/${sent.id}`).expect(204);
      expectProblem(await as(t, a).delete(`/messages/${sent.id}`), 404, 'not_found');
      for (const viewer of [a, b]) {
        const [seen] = await messages(viewer, id);
        expect(seen).toMatchObject({ id: sent.id, content: null, content_html: null, media: [], deleted_at: expect.stringMatching(ISO_UTC) });
        const [conversation] = (await list(viewer)).filter((c) => c.id === id);
        expect(JSON.stringify(conversation)).not.toContain('regret');
      }
    });
  });
});

describe('Direct messages: the rate limit', () => {
  const t = useTestApp({ env: { RATE_LIMIT_MESSAGE: '3/1m' }, redisScope: 'messages-limit' });

  it('answers 429 with Retry-After past RATE_LIMIT_MESSAGE per user', async () => {
    const [a, b] = [await createSignedInUser(t), await createSignedInUser(t)];
    const { body } = await as(t, a).post('/conversations', { username: b.username }).expect(201);
    for (let i = 0; i < 3; i++) {
      const res = await as(t, a).post(`/conversations/${body.id}/messages`, { content: `m${i}` }).expect(201);
      expect(res.headers['ratelimit-limit']).toBe('3');
    }
    const limited = await as(t, a).post(`/conversations/${body.id}/messages`, { content: 'one too many' });
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(await t.sql('select 1 from messages where conversation_id = ?', [body.id])).toHaveLength(3);
  });
});

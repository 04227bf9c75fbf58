import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { fromBuffer, ZipFile } from 'yauzl';
import { QueueName, QUEUE_SETTINGS } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { AccountEraser } from '@/modules/accounts/account-eraser.service';
import { AccountDeletion } from '@/modules/accounts/entities/account-deletion.entity';
import { Subscription } from '@/modules/billing/entities/subscription.entity';
import { Media } from '@/modules/media/entities/media.entity';
import { newStorageKey } from '@/modules/media/media-keys';
import { MEDIA_STORAGE, MediaStorage } from '@/modules/media/storage/media-storage';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem } from '../factories/http';
import { as, createPost, follow } from '../factories/posts';
import { createSignedInUser, PASSWORD, registration, SignedInUser } from '../factories/users';
import { createTestApp, TestApp } from '../support/app';
import { TestSmtpServer } from '../support/smtp-server';
import { deliver, stripeEnv, stripeEvent } from '../support/stripe-events';
import { StripeTestServer } from '../support/stripe-server';
import { waitFor } from '../support/wait';

/** The entries of a ZIP archive and their bytes. */
async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<ZipFile>((resolve, reject) => fromBuffer(bytes, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))));
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: { fileName: string }) => {
      zip.openReadStream(entry as never, (error, stream) => {
        if (error) return reject(error);
        buffer(stream).then((data) => {
          entries.set(entry.fileName, data);
          zip.readEntry();
        }, reject);
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

describe('Account deletion and data export', () => {
  let stripe: StripeTestServer;
  let smtp: TestSmtpServer;
  let t: TestApp;
  let storage: MediaStorage;

  beforeAll(async () => {
    stripe = await StripeTestServer.start();
    smtp = await TestSmtpServer.start();
    t = await createTestApp({ ...stripeEnv(stripe), SMTP_URL: smtp.url, REDIS_PREFIX: `${process.env.REDIS_PREFIX}:accounts-lifecycle` });
    storage = t.app.get<MediaStorage>(MEDIA_STORAGE);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.stop().catch(() => undefined);
    await stripe?.close();
  });

  const userRow = (id: string) => t.em().findOneOrFail(User, { id }, { populate: ['passwordHash'] });
  const count = (sql: string, params: unknown[]) => t.em().execute<{ n: number }[]>(`select count(*)::int as n from ${sql}`, params).then(([row]) => row.n);

  /** A creator with a price, and a fan subscribed through Checkout and the webhook. Answers the Stripe subscription id. */
  async function subscribe(fan: SignedInUser, creator: SignedInUser): Promise<string> {
    await as(t, creator).patch('/me', { subscription_price_cents: 500 }).expect(200);
    const started = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
    const { session, subscription } = stripe.completeCheckout(started.body.checkout_session_id);
    await deliver(t, stripeEvent('checkout.session.completed', session)).expect(200);
    await waitFor(() => t.em().count(Subscription, { stripeSubscriptionId: subscription!.id, status: 'active' }), (n) => n === 1);
    return subscription!.id as string;
  }

  /** A ready image with a real file in media storage, attached to `postId`. */
  async function mediaFile(owner: SignedInUser, postId?: string): Promise<Media> {
    const em = t.em();
    const id = randomUUID();
    const key = newStorageKey(id, 'image/jpeg');
    await storage.put(key, Readable.from([Buffer.from(`jpeg bytes of ${id}`)]), 'image/jpeg');
    const media = em.create(Media, {
      id,
      user: em.getReference(User, owner.id),
      post: postId ? em.getReference('Post', postId) : null,
      position: postId ? 0 : null,
      type: 'image',
      status: 'ready',
      url: `https://media.example.test/${key}`,
      storageKey: key,
      mimeType: 'image/jpeg',
      width: 1,
      height: 1,
      size: 10,
    } as never);
    await em.flush();
    return media as Media;
  }

  describe('DELETE /me', () => {
    it('asks for the password (422 when wrong or missing); Google-only accounts confirm their username', async () => {
      const user = await createSignedInUser(t);
      expectProblem(await as(t, user).delete('/me').send({ current_password: 'not-my-password' }), 422, 'validation_failed');
      expectProblem(await as(t, user).delete('/me').send({}), 422, 'validation_failed');
      expectProblem(await as(t, user).delete('/me').send({ current_password: PASSWORD, extra: true }), 400, 'validation_failed');
      await as(t, user).get('/me').expect(200);

      const google = await createSignedInUser(t, { passwordHash: null });
      expectProblem(await as(t, google).delete('/me').send({ confirm_username: 'someone_else' }), 422, 'validation_failed');
      await as(t, google).delete('/me').send({ confirm_username: google.username.toUpperCase() }).expect(202);
      expectProblem(await as(t, google).get('/me'), 401, 'unauthorized');
    });

    it('deactivates at once, ends Stripe subscriptions, then erases the data (files included) and keeps payment records', async () => {
      const victim = await createSignedInUser(t);
      const followed = await createSignedInUser(t);
      const follower = await createSignedInUser(t);
      const fan = await createSignedInUser(t);
      const creator = await createSignedInUser(t);
      const asCreator = await subscribe(fan, victim);
      const asSubscriber = await subscribe(victim, creator);

      await follow(t, victim, followed);
      await follow(t, follower, victim);
      const post = await createPost(t, victim, 'a post that will vanish');
      const media = await mediaFile(victim, post.id);
      const othersPost = await createPost(t, followed, 'liked by the victim');
      await as(t, victim).post(`/posts/${othersPost.id}/like`).expect(200);
      const reply = await as(t, victim).post('/posts', { content: 'a reply', reply_to_id: othersPost.id }).expect(201);
      expect((await userRow(followed.id)).followersCount).toBe(1);
      expect((await as(t, followed).get(`/posts/${othersPost.id}`)).body).toMatchObject({ likes_count: 1, replies_count: 1 });
      expect(await storage.stat(media.storageKey)).not.toBeNull();
      const conversation = (await as(t, victim).post('/conversations', { username: followed.username }).expect(201)).body as { id: string };
      await as(t, victim).post(`/conversations/${conversation.id}/messages`, { content: 'from the victim' }).expect(201);
      const kept = (await as(t, followed).post(`/conversations/${conversation.id}/messages`, { content: 'from the other side' }).expect(201)).body as { id: string };

      await as(t, victim).delete('/me').send({ current_password: PASSWORD }).expect(202);

      // At once.
      expectProblem(await as(t, victim).get('/me'), 401, 'unauthorized');
      expectProblem(await t.http.post('/api/v1/auth/refresh').send({ refresh_token: victim.refreshToken }), 401, 'unauthorized');
      expectProblem(await t.http.post('/api/v1/auth/login').send({ login: victim.username, password: PASSWORD }), 401, 'unauthorized');
      expectProblem(await t.http.post('/api/v1/auth/login').send({ login: victim.email, password: PASSWORD }), 401, 'unauthorized');
      expectProblem(await as(t, follower).get(`/users/${victim.username}`), 404, 'not_found');
      expectProblem(await as(t, follower).get(`/posts/${post.id}`), 404, 'not_found');
      expectProblem(await as(t, follower).get(`/posts/${reply.body.id}`), 404, 'not_found');
      const followers = await as(t, followed).get(`/users/${followed.username}/followers`).expect(200);
      expect(followers.body.data.map((u: { id: string }) => u.id)).not.toContain(victim.id);
      expectProblem(await t.http.get(`/api/v1/media/files/${media.storageKey}`), 404, 'not_found');

      // Within a few minutes: Stripe, then the erasure.
      const erased = await waitFor(() => t.em().findOne(AccountDeletion, { userId: victim.id }), (d) => !!d?.erasedAt, 30_000);
      expect(erased?.erasedAt).toBeInstanceOf(Date);
      expect(stripe.subscription(asSubscriber)).toMatchObject({ status: 'canceled' });
      expect(stripe.requestsTo('DELETE', `/v1/subscriptions/${asSubscriber}`)).toHaveLength(1);
      expect(stripe.subscription(asCreator)).toMatchObject({ status: 'active', cancel_at_period_end: true });
      expect(stripe.requestsTo('POST', `/v1/subscriptions/${asCreator}`).at(-1)!.body).toEqual({ cancel_at_period_end: 'true' });

      expect(await count('posts where user_id = ?', [victim.id])).toBe(0);
      expect(await count('likes where user_id = ?', [victim.id])).toBe(0);
      expect(await count('follows where follower_id = ? or following_id = ?', [victim.id, victim.id])).toBe(0);
      expect(await count('notifications where user_id = ? or from_user_id = ?', [victim.id, victim.id])).toBe(0);
      expect(await count('sessions where user_id = ?', [victim.id])).toBe(0);
      expect(await count('media where user_id = ?', [victim.id])).toBe(0);
      expect(await storage.stat(media.storageKey)).toBeNull();
      expect((await userRow(followed.id)).followersCount).toBe(0);
      expect((await userRow(follower.id)).followingCount).toBe(0);
      expect((await as(t, followed).get(`/posts/${othersPost.id}`)).body).toMatchObject({ likes_count: 0, replies_count: 0 });
      // Messages: the victim's go, and their side of each conversation; the other side keeps its own, with a deleted account.
      expect(await count('messages where sender_id = ?', [victim.id])).toBe(0);
      expect(await count('conversation_members where user_id = ?', [victim.id])).toBe(0);
      const thread = await as(t, followed).get(`/conversations/${conversation.id}/messages`).expect(200);
      expect(thread.body.data.map((m: { id: string }) => m.id)).toEqual([kept.id]);
      const listed = await as(t, followed).get('/conversations').expect(200);
      expect(listed.body.data.find((c: { id: string }) => c.id === conversation.id)).toMatchObject({ with: { id: victim.id, display_name: null }, unread_count: 0 });
      expectProblem(await as(t, followed).post(`/conversations/${conversation.id}/messages`, { content: 'anyone there?' }), 403, 'forbidden');

      // Payment records stay, pointing at the emptied account.
      expect(await t.em().count(Subscription, { $or: [{ subscriber: victim.id }, { creator: victim.id }] })).toBe(2);
      const tombstone = await userRow(victim.id);
      expect(tombstone).toMatchObject({ passwordHash: null, displayName: null, bio: null, emailVerified: false });
      expect(tombstone.email).toMatch(/@deleted\.invalid$/);
      expect(tombstone.deletedAt).toBeInstanceOf(Date);
    }, 60_000);

    it('reserves the username for 30 days, frees the address at once, and erasing again is harmless', async () => {
      const user = await createSignedInUser(t);
      await as(t, user).delete('/me').send({ current_password: PASSWORD }).expect(202);
      await waitFor(() => t.em().findOne(AccountDeletion, { userId: user.id }), (d) => !!d?.erasedAt, 30_000);

      expectProblem(await t.http.post('/api/v1/auth/register').send(registration({ username: user.username.toUpperCase() })), 409, 'conflict');
      // Not even an admin brings it back (an unsuspend would otherwise revive the tombstone).
      const admin = await createSignedInUser(t, { role: 'admin' });
      expectProblem(await as(t, admin).post(`/admin/users/${user.username}/unsuspend`), 404, 'not_found');
      await t.http.post('/api/v1/auth/register').send(registration({ email: user.email })).expect(201);

      // Resumable: a crash before the end leaves erased_at empty; the job's retry finishes without repeating Stripe.
      await t.em().nativeUpdate(AccountDeletion, { userId: user.id }, { erasedAt: null });
      await t.app.get(AccountEraser).erase(user.id);
      expect((await t.em().findOneOrFail(AccountDeletion, { userId: user.id })).erasedAt).toBeInstanceOf(Date);

      await t.em().nativeUpdate(User, { id: user.id }, { deletedAt: new Date(Date.now() - 31 * 86_400_000) });
      const again = await t.http.post('/api/v1/auth/register').send(registration({ username: user.username })).expect(201);
      expect(again.body.user.username).toBe(user.username);
      expect((await userRow(user.id)).username).toMatch(/^deleted_[0-9a-f]{32}$/);
    }, 60_000);
  });

  describe('POST /me/exports, GET /me/exports/:id', () => {
    it('builds a ZIP of the account into media storage and mails a signed link valid 24 hours; one pending, one a day', async () => {
      const user = await createSignedInUser(t, { displayName: 'Exporter' });
      const friend = await createSignedInUser(t);
      await follow(t, user, friend);
      await follow(t, friend, user);
      const post = await createPost(t, user, `exported ${randomBytes(3).toString('hex')}`);
      const media = await mediaFile(user, post.id);
      const friendsPost = await createPost(t, friend, 'liked');
      await as(t, user).post(`/posts/${friendsPost.id}/like`).expect(200);
      const conversation = (await as(t, friend).post('/conversations', { username: user.username }).expect(201)).body as { id: string };
      const locked = (await as(t, friend).post(`/conversations/${conversation.id}/messages`, { content: 'SECRET-not-bought', price_cents: 500, preview: 'teaser' }).expect(201)).body as { id: string };
      const sent = (await as(t, user).post(`/conversations/${conversation.id}/messages`, { content: 'my own words' }).expect(201)).body as { id: string };
      const list = await as(t, user).post('/lists', { name: 'Exported' }).expect(201);
      await as(t, user).post(`/lists/${list.body.id}/members`, { usernames: [friend.username] }).expect(200);

      const started = await as(t, user).post('/me/exports', { current_password: PASSWORD }).expect(202);
      expect(started.body).toEqual({ id: expect.any(String), status: 'pending', created_at: expect.any(String) });
      expectProblem(await as(t, user).post('/me/exports', { current_password: PASSWORD }), 409, 'conflict');

      const mail = await smtp.next(user.email, 1, 30_000);
      expect(mail.subject).toMatch(/export/i);
      const ready = await as(t, user).get(`/me/exports/${started.body.id}`).expect(200);
      expect(ready.body).toMatchObject({ id: started.body.id, status: 'ready', url: mail.link, expires_at: expect.any(String) });
      expect(new Date(ready.body.expires_at).getTime() - Date.now()).toBeGreaterThan(23.9 * 3600_000);

      const link = new URL(mail.link!);
      const download = await t.http.get(`${link.pathname}${link.search}`).buffer(true).parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect(download.status).toBe(200);
      expect(download.headers['content-type']).toBe('application/zip');
      const entries = await unzip(download.body as Buffer);
      expect([...entries.keys()].filter((name) => !name.startsWith('media/')).sort()).toEqual(
        ['followers.json', 'following.json', 'likes.json', 'lists.json', 'messages.json', 'payouts.json', 'posts.json', 'profile.json', 'subscriptions.json'].sort(),
      );
      const json = (name: string) => JSON.parse(entries.get(name)!.toString('utf8'));
      expect(json('profile.json')).toEqual([expect.objectContaining({ id: user.id, username: user.username, email: user.email, display_name: 'Exporter' })]);
      expect(json('posts.json')).toEqual([expect.objectContaining({ id: post.id, content: post.content })]);
      expect(json('following.json')).toEqual([expect.objectContaining({ username: friend.username })]);
      expect(json('followers.json')).toEqual([expect.objectContaining({ username: friend.username })]);
      expect(json('likes.json')).toEqual([expect.objectContaining({ post_id: friendsPost.id })]);
      expect(json('subscriptions.json')).toEqual([]);
      expect(json('payouts.json')).toEqual([]);
      // What the user sent and what they may read: a paid message they did not buy stays locked, in the file too.
      expect(json('messages.json')).toEqual([
        expect.objectContaining({ id: locked.id, locked: true, content: null, content_html: null, preview: 'teaser' }),
        expect.objectContaining({ id: sent.id, locked: false, content: 'my own words' }),
      ]);
      expect(entries.get('messages.json')!.toString('utf8')).not.toContain('SECRET-not-bought');
      expect(json('lists.json')).toEqual([{ name: 'Exported', created_at: list.body.created_at, members: [friend.username] }]);
      expect(entries.get(`media/${media.id}.jpg`)?.toString()).toBe(`jpeg bytes of ${media.id}`);

      // A tampered or foreign link finds nothing; another export today is 429.
      expectProblem(await t.http.get(`${link.pathname}?exp=${link.searchParams.get('exp')}&sig=${'0'.repeat(64)}`), 404, 'not_found');
      const limited = await as(t, user).post('/me/exports', { current_password: PASSWORD });
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(23 * 3600);
      const stranger = await createSignedInUser(t);
      expectProblem(await as(t, stranger).get(`/me/exports/${started.body.id}`), 404, 'not_found');
    }, 60_000);

    it('marks an export failed once its last attempt has failed, and lets its owner ask again', async () => {
      const user = await createSignedInUser(t);
      // Storage refuses this user's archive (an S3 outage that outlasts every retry); everything else still stores.
      const put = storage.put.bind(storage);
      const refused = jest.spyOn(storage, 'put').mockImplementation(async (key, body, type) => {
        if (!key.startsWith(`exports/${user.id}/`)) return put(key, body, type);
        (body as Readable).resume();
        throw new Error('storage unavailable');
      });
      try {
        const started = await as(t, user).post('/me/exports', { current_password: PASSWORD }).expect(202);
        const queue = t.app.get(QueueService).queue(QueueName.Accounts);
        const attempts = QUEUE_SETTINGS[QueueName.Accounts].attempts;
        // Each retry waits out its backoff (5 s doubling): promote it instead, so all attempts run now.
        const status = await waitFor(
          async () => {
            for (const job of await queue.getDelayed()) await job.promote().catch(() => undefined);
            return (await as(t, user).get(`/me/exports/${started.body.id}`).expect(200)).body.status as string;
          },
          (current) => current !== 'pending',
          60_000,
        );
        expect(status).toBe('failed');
        expect(refused.mock.calls.filter(([key]) => key.startsWith(`exports/${user.id}/`))).toHaveLength(attempts);
        expect((await as(t, user).get(`/me/exports/${started.body.id}`)).body).toEqual({ id: started.body.id, status: 'failed', created_at: started.body.created_at });
        // A failed export blocks neither a new one nor counts towards the daily one.
        refused.mockRestore();
        const again = await as(t, user).post('/me/exports', { current_password: PASSWORD }).expect(202);
        const mail = await smtp.next(user.email, 1, 30_000);
        expect(mail.subject).toMatch(/export/i);
        expect((await as(t, user).get(`/me/exports/${again.body.id}`).expect(200)).body.status).toBe('ready');
      } finally {
        refused.mockRestore();
      }
    }, 120_000);
  });
});

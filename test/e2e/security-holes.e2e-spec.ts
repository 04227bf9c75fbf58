import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createHttpApp, prepareDatabase } from '@/bootstrap';
import { loadConfig } from '@/common/config/load-config';
import { createPino } from '@/common/logging/logger';
import { RedisService } from '@/common/redis/redis.service';
import { Session } from '@/modules/auth/entities/session.entity';
import { Media } from '@/modules/media/entities/media.entity';
import { newStorageKey } from '@/modules/media/media-keys';
import { expectProblem } from '../factories/http';
import { as, createMedia, createPost, PostBody } from '../factories/posts';
import { createAdmin, createSignedInUser, createUser, PASSWORD, signIn, SignedInUser } from '../factories/users';
import { createTestApp, TestApp } from '../support/app';
import { OAuthProvider } from '../support/oauth-provider';
import { deliver, stripeEnv, stripeEvent } from '../support/stripe-events';
import { nowSeconds, stripeId, StripeTestServer } from '../support/stripe-server';
import { drained, waitFor } from '../support/wait';

const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One test per hole found by the security review of main (issue 15), each written to fail before its fix, plus
 * TRUST_PROXY. The holes that live in the read paths (1, 5 and the lists of 9) are in visibility-holes.e2e-spec.ts.
 */
describe('Security holes (issue 15)', () => {
  let t: TestApp;
  let stripe: StripeTestServer;

  beforeAll(async () => {
    stripe = await StripeTestServer.start();
    // One app with Stripe for the whole file: every test app of a run shares the database, and whichever app's relay
    // takes an outbox event handles it. It believes X-Forwarded-For only from loopback (the test client).
    t = await createTestApp({
      ...stripeEnv(stripe),
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_LOGIN_ACCOUNT: '4/1m',
      RATE_LIMIT_LOGIN_IP: '50/1m',
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}:holes`,
    });
  });

  afterAll(async () => {
    await t?.close();
    await stripe?.close();
  });

  describe('2: the notification stream stops with its session', () => {
    let port: number;

    beforeAll(async () => {
      await t.app.listen(0, '127.0.0.1');
      port = (t.app.getHttpServer().address() as AddressInfo).port;
    });

    /** Opens the SSE stream; resolves once it is connected. `ended` resolves when the server closes it. */
    function openStream(user: SignedInUser): Promise<{ events: string[]; ended: Promise<boolean>; close(): void }> {
      return new Promise((resolve, reject) => {
        const events: string[] = [];
        let end!: (value: boolean) => void;
        const ended = new Promise<boolean>((r) => (end = r));
        const req = httpRequest({ host: '127.0.0.1', port, path: `/api/v1/streaming/notifications?access_token=${user.accessToken}` }, (res) => {
          let buffer = '';
          res.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            if (buffer.includes(': connected')) resolve({ events, ended, close: () => req.destroy() });
            events.push(...buffer.split('\n\n').filter((block) => block.includes('event: notification')));
            buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
          });
          res.on('end', () => end(true));
          res.on('close', () => end(true));
        });
        req.on('error', (error) => (/aborted|hang up|ECONNRESET/.test(error.message) ? end(true) : reject(error)));
        req.end();
      });
    }

    /** The stream ends within 5 s of the revocation, and a notification after it is not delivered. */
    async function expectStopped(stream: Awaited<ReturnType<typeof openStream>>, user: SignedInUser, notify = true): Promise<void> {
      const closed = await Promise.race([stream.ended, sleep(5000).then(() => false)]);
      // (A suspended account cannot be followed: there, the closed stream is the proof.)
      if (notify) await as(t, await createSignedInUser(t)).post(`/users/${user.username}/follow`).expect(200);
      await drained(t);
      await sleep(300);
      stream.close();
      expect({ closed, delivered: stream.events.length }).toEqual({ closed: true, delivered: 0 });
    }

    it('after logout', async () => {
      const user = await createSignedInUser(t);
      const stream = await openStream(user);
      await as(t, user).post('/auth/logout').expect(204);
      await expectStopped(stream, user);
    });

    it('after the session is revoked from another device', async () => {
      const user = await createSignedInUser(t);
      const other = await signIn(t, user);
      const stream = await openStream(user);
      const sid = JSON.parse(Buffer.from(user.accessToken.split('.')[1], 'base64url').toString()).sid as string;
      await as(t, other).delete(`/auth/sessions/${sid}`).expect(204);
      await expectStopped(stream, user);
    });

    it('after the account is suspended', async () => {
      const [user, admin] = [await createSignedInUser(t), await signIn(t, await createAdmin(t))];
      const stream = await openStream(user);
      await as(t, admin).post(`/admin/users/${user.username}/suspend`).expect(200);
      await expectStopped(stream, user, false);
    });
  });

  describe('3: Basic auth on /admin/queues spends the login budgets; profiles do not show role', () => {
    it('counts failed Basic passwords per account across client addresses, and with POST /auth/login', async () => {
      const admin = await createAdmin(t);
      for (let i = 1; i <= 4; i++) {
        const res = await t.http.get('/admin/queues').set('X-Forwarded-For', `203.0.113.${i}`).set('Authorization', basic(admin.username, 'wrong-password'));
        expectProblem(res, 401, 'unauthorized');
      }
      // The budget of the account is spent: even the right password from a fresh address waits.
      const blocked = await t.http.get('/admin/queues').set('X-Forwarded-For', '198.51.100.9').set('Authorization', basic(admin.email, PASSWORD));
      expectProblem(blocked, 429, 'rate_limited');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expectProblem(
        await t.http.post('/api/v1/auth/login').set('X-Forwarded-For', '198.51.100.10').send({ login: admin.username, password: PASSWORD }),
        429,
        'rate_limited',
      );
    });

    it('shares the budget the other way: failed logins at POST /auth/login block Basic sign-ins', async () => {
      const admin = await createAdmin(t);
      for (let i = 0; i < 5; i++) {
        await t.http.post('/api/v1/auth/login').set('X-Forwarded-For', `192.0.2.${i + 1}`).send({ login: admin.username, password: 'nope-nope-nope' });
      }
      expectProblem(await t.http.get('/admin/queues').set('X-Forwarded-For', '192.0.2.99').set('Authorization', basic(admin.username, PASSWORD)), 429, 'rate_limited');
    });

    it('keeps role off public profiles (the own view still has it)', async () => {
      const [admin, viewer] = [await createAdmin(t), await createSignedInUser(t)];
      const profile = await as(t, viewer).get(`/users/${admin.username}`).expect(200);
      expect(profile.body).not.toHaveProperty('role');
      const me = await as(t, await signIn(t, admin)).get('/me').expect(200);
      expect(me.body.role).toBe('admin');
    });
  });

  describe('4: query tokens never reach the logs', () => {
    it('redacts ?access_token= (and other credential parameters) in the request log', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const config = loadConfig({ ...process.env, LOG_LEVEL: 'info' });
      const app: NestFastifyApplication = await createHttpApp(config, config.database.url!, createPino('info', sink));
      try {
        await prepareDatabase(app, config);
        await app.init();
        await app.getHttpAdapter().getInstance().ready();
        const user = await createSignedInUser(t);
        const secret = `${user.accessToken.slice(0, -6)}XXXXXX`; // token-shaped, invalid: the stream answers 401 at once
        await request(app.getHttpServer()).get(`/api/v1/streaming/notifications?access_token=${secret}`).expect(401);
        await request(app.getHttpServer()).get(`/api/v1/auth/google/callback?code=${secret}&state=abc`);
        const log = lines.join('');
        expect(log).toContain('/api/v1/streaming/notifications?access_token=[redacted]');
        expect(log).not.toContain(secret);
        expect(log).not.toContain(user.accessToken.slice(0, 40));
      } finally {
        await app.close();
      }
    });
  });

  describe('6: media of a premium or non-public post never becomes public through an avatar or cover', () => {
    it('refuses such media as avatar or cover (422), and accepts an unattached or public post image', async () => {
      const user = await createSignedInUser(t);
      const premium = await createPost(t, user, { content: 'paid', is_premium: true });
      const followersOnly = await createPost(t, user, { content: 'friends', visibility: 'followers' });
      const open = await createPost(t, user, { content: 'open' });
      for (const post of [premium, followersOnly]) {
        const media = await createMedia(t, user, post.id);
        expectProblem(await as(t, user).patch('/me', { avatar_media_id: media.id }), 422, 'validation_failed');
        expectProblem(await as(t, user).patch('/me', { cover_media_id: media.id }), 422, 'validation_failed');
      }
      await as(t, user).patch('/me', { avatar_media_id: (await createMedia(t, user)).id }).expect(200);
      await as(t, user).patch('/me', { cover_media_id: (await createMedia(t, user, open.id)).id }).expect(200);
    });

    it('never serves unsigned the file of an avatar later attached to a premium post', async () => {
      const user = await createSignedInUser(t);
      const media = await createMedia(t, user);
      media.storageKey = newStorageKey(media.id, 'image/jpeg');
      await t.em().nativeUpdate(Media, { id: media.id }, { storageKey: media.storageKey });
      const file = join(t.config.media.dir, media.storageKey);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, randomBytes(64));
      await as(t, user).patch('/me', { avatar_media_id: media.id }).expect(200);
      const path = `/api/v1/media/files/${media.storageKey}`;
      await t.http.get(path).expect(200);
      await createPost(t, user, { content: 'paid', is_premium: true, media_ids: [media.id] });
      expectProblem(await t.http.get(path), 404, 'not_found');
    });
  });

  describe('7: Google sign-in is bound to the browser that started it, and the app code takes PKCE', () => {
    const CALLBACK = 'http://localhost:3000/api/v1/auth/google/callback';
    const APP = 'https://app.example.com/auth/done';
    let provider: OAuthProvider;
    let g: TestApp;

    beforeAll(async () => {
      provider = await OAuthProvider.start();
      g = await createTestApp({ ...provider.env(CALLBACK), OAUTH_REDIRECT_ALLOWLIST: APP, REDIS_PREFIX: `${process.env.REDIS_PREFIX}:holes-google` });
    });

    afterAll(async () => {
      await g?.close();
      await provider?.stop();
    });

    /** Starts the flow and passes the consent page: the cookie the starting browser got, and the callback URL. */
    async function consent(query: Record<string, string> = {}): Promise<{ cookie: string | undefined; callback: string }> {
      const id = randomBytes(5).toString('hex');
      await provider.nextUserinfo({ sub: `g-${id}`, email: `g.${id}@gmail.test`, email_verified: true, name: 'G' });
      const start = await g.http.get('/api/v1/auth/google').query(query).expect(302);
      const back = await request(provider.url).get(new URL(start.headers.location).pathname + new URL(start.headers.location).search).redirects(0).expect(302);
      const url = new URL(back.headers.location);
      const setCookie = start.headers['set-cookie'] as unknown as string[] | undefined;
      return { cookie: setCookie?.[0], callback: `${url.pathname}${url.search}` };
    }

    it('sets a short-lived HttpOnly SameSite=Lax cookie, and refuses the callback in another browser (login CSRF)', async () => {
      const { cookie, callback } = await consent();
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Max-Age=600/);
      // The victim's browser: no cookie, or the cookie of its own (other) flow.
      const other = await consent();
      expectProblem(await g.http.get(callback).set('Cookie', other.cookie!.split(';')[0]), 401, 'unauthorized');
      expectProblem(await g.http.get(other.callback), 401, 'unauthorized');
    });

    it('signs in the browser that started, and clears the cookie', async () => {
      const { cookie, callback } = await consent();
      const res = await g.http.get(callback).set('Cookie', cookie!.split(';')[0]).expect(200);
      expect(res.body.access_token).toEqual(expect.any(String));
      expect(String(res.headers['set-cookie'])).toMatch(/Max-Age=0/);
    });

    it('requires the code_verifier of a code_challenge at POST /auth/google/exchange', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const codeOf = async () => {
        const { cookie, callback } = await consent({ redirect_uri: APP, code_challenge: challenge, code_challenge_method: 'S256' });
        const res = await g.http.get(callback).set('Cookie', cookie!.split(';')[0]).expect(302);
        return new URL(res.headers.location).searchParams.get('code')!;
      };
      const exchange = (body: object) => g.http.post('/api/v1/auth/google/exchange').send(body);
      expectProblem(await exchange({ code: await codeOf() }), 401, 'unauthorized');
      expectProblem(await exchange({ code: await codeOf(), code_verifier: randomBytes(32).toString('base64url') }), 401, 'unauthorized');
      const code = await codeOf();
      await exchange({ code, code_verifier: verifier }).expect(200);
      expectProblem(await exchange({ code, code_verifier: verifier }), 401, 'unauthorized');
      expectProblem(await g.http.get('/api/v1/auth/google').query({ redirect_uri: APP, code_challenge: challenge, code_challenge_method: 'plain' }), 422, 'validation_failed');
    });
  });

  describe('8: a refresh token with a wrong secret is a plain 401', () => {
    it('does not revoke the session; a previously rotated secret still does (reuse detection)', async () => {
      const user = await createSignedInUser(t);
      const [sessionId] = user.refreshToken.split('.');
      const refresh = (token: string) => t.http.post('/api/v1/auth/refresh').send({ refresh_token: token });
      expectProblem(await refresh(`${sessionId}.${randomBytes(32).toString('base64url')}`), 401, 'unauthorized');
      await as(t, user).get('/me').expect(200);
      const rotated = await refresh(user.refreshToken).expect(200);
      expect((await t.em().findOneOrFail(Session, { id: sessionId })).revokedAt).toBeNull();

      expectProblem(await refresh(user.refreshToken), 401, 'unauthorized');
      expect((await t.em().findOneOrFail(Session, { id: sessionId })).revokedReason).toBe('reuse');
      expectProblem(await refresh(rotated.body.refresh_token), 401, 'unauthorized');
    });
  });

  describe('9: /metrics without METRICS_TOKEN answers loopback callers only', () => {
    it('refuses a caller TRUST_PROXY resolves to another address, and serves loopback', async () => {
      await t.http.get('/metrics').expect(200);
      expectProblem(await t.http.get('/metrics').set('X-Forwarded-For', '203.0.113.7'), 403, 'forbidden');
    });
  });

  describe('TRUST_PROXY', () => {
    it('ignores a spoofed X-Forwarded-For unless the peer is a trusted hop', async () => {
      const untrusting = await createTestApp({ TRUST_PROXY: '10.9.9.9', RATE_LIMIT_LOGIN_IP: '2/1m', REDIS_PREFIX: `${process.env.REDIS_PREFIX}:untrusting` });
      try {
        const login = (ip: string) => untrusting.http.post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ login: 'nobody_x', password: 'wrong-password-1' });
        await login('198.51.100.1').expect(401);
        await login('198.51.100.2').expect(401);
        // Spoofed addresses from an untrusted peer: all are the peer's one address, and its budget is spent.
        expectProblem(await login('198.51.100.3'), 429, 'rate_limited');
      } finally {
        await untrusting.close();
      }
      // The trusting app (TRUST_PROXY=127.0.0.1) records the forwarded client address on the session.
      const user = await createUser(t);
      const res = await t.http.post('/api/v1/auth/login').set('X-Forwarded-For', '203.0.113.50').send({ login: user.username, password: PASSWORD }).expect(200);
      const sid = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString()).sid as string;
      expect((await t.em().findOneOrFail(Session, { id: sid })).ip).toBe('203.0.113.50');
    });
  });

  describe('10: billing follows blocks, disputes and duplicate checkouts', () => {

    const processed = (eventId: string) =>
      waitFor(
        async () => ((await t.em().execute('select processed_at from stripe_events where stripe_event_id = ?', [eventId])) as { processed_at: Date | null }[])[0]?.processed_at,
        (at) => !!at,
      );
    const applied = async (event: ReturnType<typeof stripeEvent>) => {
      await deliver(t, event).expect(200);
      expect(await processed(event.id)).toBeTruthy();
    };
    const creatorAt = async (cents: number) => {
      const creator = await createSignedInUser(t);
      await as(t, creator).patch('/me', { subscription_price_cents: cents }).expect(200);
      return creator;
    };
    const subscribeThroughCheckout = async (fan: SignedInUser, creator: SignedInUser) => {
      const started = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
      const { session, subscription } = stripe.completeCheckout(started.body.checkout_session_id);
      await applied(stripeEvent('checkout.session.completed', session));
      return subscription!.id as string;
    };

    it('a block sets the blocked subscriber’s subscription to cancel at the period end, through Stripe', async () => {
      const [creator, fan] = [await creatorAt(500), await createSignedInUser(t)];
      const subscriptionId = await subscribeThroughCheckout(fan, creator);
      await as(t, creator).post(`/users/${fan.username}/block`).expect(200);
      const updates = await waitFor(
        async () => stripe.requestsTo('POST', `/v1/subscriptions/${subscriptionId}`),
        (found) => found.length > 0,
      );
      expect(updates.map((r) => r.body.cancel_at_period_end)).toEqual(['true']);
      const cancelling = await waitFor(
        async () => ((await t.em().execute('select cancel_at_period_end from subscriptions where stripe_subscription_id = ?', [subscriptionId])) as { cancel_at_period_end: boolean }[])[0],
        (row) => row.cancel_at_period_end,
      );
      expect(cancelling.cancel_at_period_end).toBe(true);
    });

    it('charge.dispute.created revokes a pay-per-view unlock; charge.dispute.closed (won) restores it', async () => {
      const [author, buyer] = [await createSignedInUser(t), await createSignedInUser(t)];
      const post = await createPost(t, author, { content: 'the goods', price_cents: 300 });
      const started = await as(t, buyer).post(`/posts/${post.id}/unlock`).expect(201);
      const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
      await applied(stripeEvent('checkout.session.completed', session));
      const locked = async () => ((await as(t, buyer).get(`/posts/${post.id}`).expect(200)).body as PostBody).locked;
      expect(await locked()).toBe(false);

      const dispute = { id: stripeId('dp'), object: 'dispute', amount: 300, currency: 'usd', charge: paymentIntent!.latest_charge, payment_intent: paymentIntent!.id, reason: 'fraudulent', status: 'needs_response', created: nowSeconds() };
      await applied(stripeEvent('charge.dispute.created', dispute));
      expect(await locked()).toBe(true);
      await applied(stripeEvent('charge.dispute.closed', { ...dispute, status: 'won' }));
      expect(await locked()).toBe(false);
    });

    it('answers concurrent checkouts for one pair with one session while it is open', async () => {
      const [creator, fan] = [await creatorAt(500), await createSignedInUser(t)];
      const answers = await Promise.all(Array.from({ length: 4 }, () => as(t, fan).post(`/users/${creator.username}/subscription`)));
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
      expect(new Set(answers.map((a) => a.body.checkout_session_id)).size).toBe(1);
      const post = await createPost(t, creator, { content: 'ppv', price_cents: 200 });
      const unlocks = await Promise.all(Array.from({ length: 3 }, () => as(t, fan).post(`/posts/${post.id}/unlock`)));
      expect(new Set(unlocks.map((a) => a.body.checkout_session_id)).size).toBe(1);
    });

    /** As if Redis had lost the open session (or never had it): the next checkout for the pair is a new session. */
    const forgetOpenCheckouts = async (buyerId: string) => {
      const redis = t.app.get(RedisService).client;
      for (const key of await redis.keys(`*checkout:open:*:${buyerId}:*`)) await redis.del(key);
    };

    it('refunds a second completed payment for an unlocked post', async () => {
      const [creator, buyer] = [await createSignedInUser(t), await createSignedInUser(t)];
      const post = await createPost(t, creator, { content: 'ppv', price_cents: 250 });
      const first = await as(t, buyer).post(`/posts/${post.id}/unlock`).expect(201);
      await forgetOpenCheckouts(buyer.id);
      const second = await as(t, buyer).post(`/posts/${post.id}/unlock`).expect(201);
      expect(second.body.checkout_session_id).not.toBe(first.body.checkout_session_id);
      const paidFirst = stripe.completeCheckout(first.body.checkout_session_id);
      const paidSecond = stripe.completeCheckout(second.body.checkout_session_id);
      await applied(stripeEvent('checkout.session.completed', paidFirst.session));
      await applied(stripeEvent('checkout.session.completed', paidSecond.session));
      const refunded = stripe.refunds.map((r) => r.payment_intent);
      expect(refunded).toContain(paidSecond.paymentIntent!.id);
      expect(refunded).not.toContain(paidFirst.paymentIntent!.id);
      expect(((await as(t, buyer).get(`/posts/${post.id}`).expect(200)).body as PostBody).locked).toBe(false);
    });

    it('ends and refunds a second subscription paid for the same creator', async () => {
      const [creator, fan] = [await creatorAt(600), await createSignedInUser(t)];
      const first = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
      await forgetOpenCheckouts(fan.id);
      const second = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
      const paidFirst = stripe.completeCheckout(first.body.checkout_session_id);
      const paidSecond = stripe.completeCheckout(second.body.checkout_session_id);
      await applied(stripeEvent('checkout.session.completed', paidFirst.session));
      await applied(stripeEvent('checkout.session.completed', paidSecond.session));
      expect(stripe.requestsTo('DELETE', `/v1/subscriptions/${paidSecond.subscription!.id}`)).toHaveLength(1);
      expect(stripe.requestsTo('DELETE', `/v1/subscriptions/${paidFirst.subscription!.id}`)).toHaveLength(0);
      expect(stripe.refunds).toContainEqual(expect.objectContaining({ amount: 600, reason: 'duplicate' }));
      const [row] = (await t.em().execute('select stripe_subscription_id, status from subscriptions where subscriber_id = ? and creator_id = ?', [fan.id, creator.id])) as {
        stripe_subscription_id: string;
        status: string;
      }[];
      expect(row).toEqual({ stripe_subscription_id: paidFirst.subscription!.id, status: 'active' });
    });
  });
});

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Media } from '@/modules/media/entities/media.entity';
import { newStorageKey } from '@/modules/media/media-keys';
import { expectProblem } from '../factories/http';
import { accountDeauthorized, connectPayouts, deliverApplied } from '../factories/payouts';
import { as, createMedia, createPost, PostBody, subscribe, uniqueWord } from '../factories/posts';
import { createAdmin, createSignedInUser, createUser, PASSWORD, signIn, SignedInUser } from '../factories/users';
import { payUnlock, processed, useBillingApp } from '../support/billing';
import { deliver, stripeEvent } from '../support/stripe-events';
import { fixture, nowSeconds, stripeId } from '../support/stripe-server';
import { drained, waitFor } from '../support/wait';

/** The Connect endpoint's signing secret (connected accounts' events come signed with it). */
const CONNECT_SECRET = 'whsec_x18_review3_connect_secret';

/**
 * The content and payment findings of the third security review (issue 23: N4, N6, N7, N9, N10, N12), one case each,
 * each written to fail on the code before its fix.
 */
describe('Security review 3: content, media, payments, exports (issue 23)', () => {
  const billing = useBillingApp({ STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET });
  const { t, stripe } = billing;

  const admin = async () => signIn(t, await createAdmin(t));
  const locked = async (viewer: SignedInUser, postId: string) => ((await as(t, viewer).get(`/posts/${postId}`).expect(200)).body as PostBody).locked;

  /** A file on the local media disk for `media`, so the file route can serve it. */
  const storedFile = async (media: Media): Promise<string> => {
    const key = newStorageKey(media.id, 'image/jpeg');
    await t.em().nativeUpdate(Media, { id: media.id }, { storageKey: key, previewKey: null });
    mkdirSync(dirname(join(t.config.media.dir, key)), { recursive: true });
    writeFileSync(join(t.config.media.dir, key), randomBytes(64));
    return key;
  };

  describe('N4: a post removed by a moderator is frozen', () => {
    it('answers the author 404 to PATCH and DELETE and writes nothing: content, hashtags, counts, events', async () => {
      const [author, reporter, moderator] = [await createSignedInUser(t), await createSignedInUser(t), await admin()];
      const [tag, newTag] = [uniqueWord('before'), uniqueWord('trend')];
      const post = await createPost(t, author, `the original #${tag}`);
      const { id } = (await as(t, reporter).post('/reports', { post_id: post.id, reason: 'abuse' }).expect(201)).body;
      await as(t, moderator).post(`/admin/reports/${id}/resolve`, { action: 'remove_post' }).expect(200);
      await drained(t);

      const snapshot = async () => ({
        post: await t.sql('select content, content_html, edited_at, deleted_at, removed_at, metadata from posts where id = ?', [post.id]),
        tags: (await t.sql<{ name: string }>('select h.name from post_hashtags ph join hashtags h on h.id = ph.hashtag_id where ph.post_id = ?', [post.id])).map((r) => r.name),
        postsCount: (await t.sql<{ posts_count: number }>('select posts_count from users where id = ?', [author.id]))[0].posts_count,
        events: (await t.sql<{ n: number }>(`select count(*)::int as n from outbox_events where payload::text like ?`, [`%${post.id}%`]))[0].n,
      });
      const before = await snapshot();
      expect(before.tags).toEqual([tag]);

      expectProblem(await as(t, author).patch(`/posts/${post.id}`, { content: `rewritten #${newTag}` }), 404, 'not_found');
      expectProblem(await as(t, author).delete(`/posts/${post.id}`), 404, 'not_found');
      await drained(t);
      expect(await snapshot()).toEqual(before);
      expect(await t.sql('select 1 from hashtags where name = ?', [newTag])).toEqual([]);
      // The moderators' view still shows what was removed.
      const resolved = (await as(t, moderator).get('/admin/reports?status=resolved&limit=50').expect(200)).body.data as { target_post?: { id: string; content: string } }[];
      expect(resolved.find((r) => r.target_post?.id === post.id)?.target_post?.content).toBe(post.content);
    });
  });

  describe('N6: POST /reports is rate limited', () => {
    it('answers 429 with Retry-After after RATE_LIMIT_REPORT (default 20 per hour) reports by one user', async () => {
      const [reporter, author] = [await createSignedInUser(t), await createSignedInUser(t)];
      const posts = await Promise.all(Array.from({ length: 21 }, (_, i) => createPost(t, author, `reportable ${i} ${uniqueWord()}`)));
      for (const post of posts.slice(0, 20)) await as(t, reporter).post('/reports', { post_id: post.id, reason: 'spam' }).expect(201);
      const limited = await as(t, reporter).post('/reports', { post_id: posts[20].id, reason: 'spam' });
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Counted per user: another reporter is not affected.
      await as(t, await createSignedInUser(t)).post('/reports', { post_id: posts[20].id, reason: 'spam' }).expect(201);
    });
  });

  describe('N7: signed media URLs follow the author’s state', () => {
    it('stop serving a premium post’s media once its author is suspended or deleted', async () => {
      for (const end of ['suspended', 'deleted'] as const) {
        const [author, fan] = [await createSignedInUser(t), await createSignedInUser(t)];
        await subscribe(t, fan, author);
        const post = await createPost(t, author, { content: 'for subscribers', is_premium: true });
        const key = await storedFile(await createMedia(t, author, post.id));
        const seen = (await as(t, fan).get(`/posts/${post.id}`).expect(200)).body as PostBody;
        const url = new URL(seen.media[0].url!);
        expect(url.pathname).toContain(key);
        expect(url.searchParams.get('sig')).toBeTruthy();
        await t.http.get(`${url.pathname}${url.search}`).expect(200);

        if (end === 'suspended') await as(t, await admin()).post(`/admin/users/${author.username}/suspend`).expect(200);
        else await as(t, author).delete('/me').send({ current_password: PASSWORD }).expect(202);
        expectProblem(await t.http.get(`${url.pathname}${url.search}`), 404, 'not_found');
      }
    });
  });

  describe('N9: Checkout completions are believed only from the platform endpoint, for sessions we opened', () => {
    /** A `checkout.session.completed` for `postId` that no checkout of ours opened, paid 1 cent. */
    const forgedSession = (buyer: SignedInUser, postId: string) => ({
      ...fixture('checkout.session'),
      id: stripeId('cs_test'),
      mode: 'payment',
      status: 'complete',
      payment_status: 'paid',
      amount_subtotal: 1,
      amount_total: 1,
      currency: 'usd',
      client_reference_id: buyer.id,
      metadata: { post_id: postId, user_id: buyer.id },
      payment_intent: stripeId('pi'),
      subscription: null,
      created: nowSeconds(),
    });

    it('ignores a checkout.session.completed signed with the Connect secret (only account.* events apply there)', async () => {
      const [author, buyer] = [await createSignedInUser(t), await createSignedInUser(t)];
      const post = await createPost(t, author, { content: 'fifty dollars', price_cents: 5000 });
      const event = stripeEvent('checkout.session.completed', forgedSession(buyer, post.id));
      await deliver(t, event, { secret: CONNECT_SECRET }).expect(200, { received: true });
      await drained(t);
      expect(await locked(buyer, post.id)).toBe(true);
      expect(await t.sql('select 1 from post_unlocks where user_id = ?', [buyer.id])).toEqual([]);
    });

    it('does not unlock for a session it never opened, nor for one paid another amount', async () => {
      const [author, buyer, other] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      const post = await createPost(t, author, { content: 'fifty dollars', price_cents: 5000 });
      const unknown = stripeEvent('checkout.session.completed', forgedSession(buyer, post.id));
      await deliver(t, unknown).expect(200);
      expect(await processed(t, unknown.id)).toBeTruthy();
      expect(await locked(buyer, post.id)).toBe(true);

      // A session we did open, for 5000, reported paid 1: not what we asked.
      const { session } = await payUnlock(billing, other, post.id);
      const cheap = stripeEvent('checkout.session.completed', { ...session, amount_total: 1, amount_subtotal: 1 });
      await deliver(t, cheap).expect(200);
      expect(await processed(t, cheap.id)).toBeTruthy();
      expect(await locked(other, post.id)).toBe(true);
      // The genuine event for that session unlocks.
      const genuine = stripeEvent('checkout.session.completed', session);
      await deliver(t, genuine).expect(200);
      expect(await processed(t, genuine.id)).toBeTruthy();
      expect(await locked(other, post.id)).toBe(false);
    });

    it('still applies account.* events signed with the Connect secret', async () => {
      const creator = await createSignedInUser(t);
      await connectPayouts(t, stripe, creator, CONNECT_SECRET);
      expect((await as(t, creator).get('/me/payouts').expect(200)).body.charges_enabled).toBe(true);
    });
  });

  describe('N10: a deauthorization expires the Checkout sessions routed to that account', () => {
    it('expires an open session opened before the creator disconnected; the next checkout is a new one', async () => {
      const [creator, buyer] = [await createSignedInUser(t), await createSignedInUser(t)];
      const accountId = await connectPayouts(t, stripe, creator, CONNECT_SECRET);
      const post = await createPost(t, creator, { content: 'pay per view', price_cents: 700 });
      const opened = (await as(t, buyer).post(`/posts/${post.id}/unlock`).expect(201)).body.checkout_session_id as string;
      expect(stripe.checkoutParams(opened).payment_intent_data.transfer_data.destination).toBe(accountId);

      stripe.connect.deauthorize(accountId);
      await deliverApplied(t, accountDeauthorized(accountId), CONNECT_SECRET);
      const expired = await waitFor(async () => stripe.requestsTo('POST', `/v1/checkout/sessions/${opened}/expire`), (found) => found.length > 0);
      expect(expired).toHaveLength(1);
      expect(stripe.sessions.get(opened)!.status).toBe('expired');

      // CONNECT_REQUIRED=false: the platform collects now, in a new session that names no destination.
      const next = (await as(t, buyer).post(`/posts/${post.id}/unlock`).expect(201)).body.checkout_session_id as string;
      expect(next).not.toBe(opened);
      expect(stripe.checkoutParams(next).payment_intent_data?.transfer_data).toBeUndefined();
    });
  });

  describe('N12: exports need the password, and their links die with the account', () => {
    const readyUrl = async (user: SignedInUser, exportId: string) => {
      const ready = await waitFor(
        async () => (await as(t, user).get(`/me/exports/${exportId}`).expect(200)).body as { status: string; url?: string },
        (body) => body.status !== 'pending',
        30_000,
      );
      expect(ready.status).toBe('ready');
      const url = new URL(ready.url!);
      return `${url.pathname}${url.search}`;
    };

    it('refuses POST /me/exports without the current password, or with a wrong one', async () => {
      const user = await createSignedInUser(t);
      expectProblem(await as(t, user).post('/me/exports'), 422, 'validation_failed');
      const wrong = await as(t, user).post('/me/exports', { current_password: 'not-the-password' });
      expectProblem(wrong, 422, 'validation_failed');
      expect(wrong.body.errors).toEqual([{ field: 'current_password', message: expect.any(String) }]);
      await as(t, user).post('/me/exports', { current_password: PASSWORD }).expect(202);
    });

    it('asks an account without a password (Google sign-in) for a sign-in within the last 10 minutes', async () => {
      const user = await signIn(t, await createUser(t, { passwordHash: null }));
      await t.sql(`update sessions set created_at = now() - interval '1 hour' where user_id = ?`, [user.id]);
      expectProblem(await as(t, user).post('/me/exports', {}), 403, 'forbidden');
      const fresh = await signIn(t, user);
      await as(t, fresh).post('/me/exports', {}).expect(202);
    });

    it('stops the download link once its owner is suspended', async () => {
      const user = await createSignedInUser(t);
      const started = await as(t, user).post('/me/exports', { current_password: PASSWORD }).expect(202);
      const link = await readyUrl(user, started.body.id);
      await t.http.get(link).expect(200);
      await as(t, await admin()).post(`/admin/users/${user.username}/suspend`).expect(200);
      expectProblem(await t.http.get(link), 404, 'not_found');
    }, 60_000);
  });
});

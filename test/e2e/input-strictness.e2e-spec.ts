import { createMedia, createPost, as } from '../factories/posts';
import { expectProblem } from '../factories/http';
import { createSignedInUser, uniqueUsername } from '../factories/users';
import { useTestApp } from '../support/app';

/**
 * Bodies are taken as they are typed: `null` only where the document says `nullable`, no coercion of one JSON type into
 * another (a number or `true` is not a date), and a method a path does not have is `405` with `Allow`, not `404`.
 */
describe('Input strictness', () => {
  const t = useTestApp({ redisScope: 'input-strictness', env: { RATE_LIMIT_POST_CREATE: '1000/1h' } });

  const futureIso = () => new Date(Date.now() + 86_400_000).toISOString();

  describe('null where the field is not nullable', () => {
    it.each<[string, string, string, Record<string, unknown>]>([
      ['up_to_id', 'POST', '/notifications/read', { ids: [], up_to_id: null }],
      ['ids', 'POST', '/notifications/read', { ids: null }],
      ['code', 'POST', '/referral-codes', { code: null }],
      ['reply_to_id', 'POST', '/posts', { content: 'hi', reply_to_id: null }],
      ['visibility', 'POST', '/posts', { content: 'hi', visibility: null }],
      ['is_premium', 'POST', '/posts', { content: 'hi', is_premium: null }],
      ['price_cents', 'POST', '/posts', { content: 'hi', price_cents: null }],
      ['media_ids', 'POST', '/posts', { content: 'hi', media_ids: null }],
      ['preview', 'POST', '/posts', { content: 'hi', preview: null }],
      ['login', 'POST', '/auth/login', { login: null, password: 'x' }],
    ])('refuses %s: null in %s %s with 400 naming the field', async (field, _method, path, body) => {
      const user = await createSignedInUser(t);
      const res = await as(t, user).post(path, body);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('still takes null where the document says nullable', async () => {
      const user = await createSignedInUser(t);
      const me = await as(t, user).patch('/me', { display_name: null, bio: null, avatar_media_id: null, cover_media_id: null, subscription_price_cents: null });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ display_name: null, bio: null });

      const code = await as(t, user).post('/referral-codes', { max_uses: null, expires_at: null });
      expect(code.status).toBe(201);
      expect(code.body).toMatchObject({ max_uses: null, expires_at: null });

      const media = await createMedia(t, user);
      const patched = await as(t, user).patch(`/media/${media.id}`, { alt_text: null });
      expect(patched.status).toBe(200);
      expect(patched.body.alt_text).toBeNull();
    });
  });

  describe('no coercion of body types', () => {
    it.each<[string, unknown]>([
      ['epoch milliseconds', Date.now() + 86_400_000],
      ['true', true],
      ['false', false],
      ['0', 0],
      ['an array', [futureIso()]],
      ['an object', { date: futureIso() }],
      ['a date in words', 'next tuesday'],
    ])('refuses expires_at as %s with 400, not "in the past" or a stored date', async (_, value) => {
      const user = await createSignedInUser(t);
      const res = await as(t, user).post('/referral-codes', { expires_at: value });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.length).toBeGreaterThan(0);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(res.body.errors.map(() => 'expires_at'));
      const list = await as(t, user).get('/referral-codes').expect(200);
      expect(list.body.data).toEqual([]);
    });

    it('takes expires_at as an ISO 8601 date-time, and one in the past as the business rule says (422)', async () => {
      const user = await createSignedInUser(t);
      const expires = futureIso();
      const res = await as(t, user).post('/referral-codes', { code: uniqueUsername('rc').slice(0, 20), expires_at: expires });
      expect(res.status).toBe(201);
      expect(res.body.expires_at).toBe(expires);
      const past = await as(t, user).post('/referral-codes', { expires_at: '2001-01-01T00:00:00Z' });
      expectProblem(past, 422, 'validation_failed');
      // RFC 3339 allows the years 0001-0099: a date-time, in the past (422), not a malformed value (400).
      const early = await as(t, user).post('/referral-codes', { expires_at: '0001-01-01T00:00:00.027Z' });
      expectProblem(early, 422, 'validation_failed');
      expectProblem(await as(t, user).post('/referral-codes', { expires_at: '2023-02-29T00:00:00Z' }), 400, 'validation_failed');
    });

    it.each<[string, string, Record<string, unknown>, string]>([
      ['a numeric string for an integer', '/posts', { content: 'hi', is_premium: true, price_cents: '500' }, 'price_cents'],
      ['a string for a boolean', '/posts', { content: 'hi', is_premium: 'true' }, 'is_premium'],
      ['a number for a string', '/posts', { content: 12345 }, 'content'],
      ['a number for a referral code', '/referral-codes', { code: 12345678 }, 'code'],
      ['a string for max_uses', '/referral-codes', { max_uses: '10' }, 'max_uses'],
    ])('refuses %s with 400', async (_, path, body, field) => {
      const user = await createSignedInUser(t);
      const res = await as(t, user).post(path, body);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });
  });

  describe('a method the path does not have', () => {
    it('answers 405 with Allow listing the path’s methods, as problem+json', async () => {
      const user = await createSignedInUser(t);
      const post = await createPost(t, user, 'hello');
      const res = await t.http.put(`/api/v1/posts/${post.id}`).set('authorization', `Bearer ${user.accessToken}`).send({ content: 'x' });
      expectProblem(res, 405, 'method_not_allowed');
      expect(res.headers.allow?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH']);

      const timeline = await t.http.post('/api/v1/timelines/public').send({});
      expectProblem(timeline, 405, 'method_not_allowed');
      expect(timeline.headers.allow?.split(', ').sort()).toEqual(['GET', 'HEAD']);

      const health = await t.http.delete('/health/live');
      expectProblem(health, 405, 'method_not_allowed');
      expect(health.headers.allow).toBe('GET, HEAD');
    });

    it('still answers 404 for a path no method has', async () => {
      const res = await t.http.put('/api/v1/nothing-here').send({});
      expectProblem(res, 404, 'not_found');
      expect(res.headers.allow).toBeUndefined();
    });
  });
});

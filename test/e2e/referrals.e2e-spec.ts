import { randomBytes } from 'node:crypto';
import { ReferralCode } from '@/modules/referrals/entities/referral-code.entity';
import { Referral } from '@/modules/referrals/entities/referral.entity';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem, ISO_UTC } from '../factories/http';
import { bearer, createSignedInUser, createUser, registration, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';

const CODE_KEYS = ['code', 'created_at', 'expires_at', 'max_uses', 'uses_count'];

/** A chosen code no other test uses. */
function uniqueCode(prefix = 'REF'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

describe('Referrals', () => {
  // Our own Redis prefix: the burst of registrations below spends this file's register limit, nobody else's.
  const t = useTestApp({ redisScope: 'referrals' });
  let owner: SignedInUser;

  const createCode = (token: string, body: object = {}) =>
    t.http.post('/api/v1/referral-codes').set('Authorization', bearer(token)).send(body);
  const check = (code: string) => t.http.get(`/api/v1/referral-codes/${encodeURIComponent(code)}`);
  const register = (body: object) => t.http.post('/api/v1/auth/register').send(body);
  const storedCode = (code: string) => t.em().findOneOrFail(ReferralCode, { code });

  beforeAll(async () => {
    owner = await createSignedInUser(t);
  });

  describe('POST /referral-codes', () => {
    it('generates a code when none is given', async () => {
      const res = await createCode(owner.accessToken).expect(201);
      expect(Object.keys(res.body).sort()).toEqual(CODE_KEYS);
      expect(res.body).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9_-]{4,32}$/), uses_count: 0, max_uses: null, expires_at: null, created_at: expect.stringMatching(ISO_UTC) });
      const row = await storedCode(res.body.code);
      expect(row.user.id).toBe(owner.id);
    });

    it('takes a chosen code with max_uses and expires_at', async () => {
      const code = uniqueCode();
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const res = await createCode(owner.accessToken, { code, max_uses: 3, expires_at: expiresAt }).expect(201);
      expect(res.body).toEqual({ code, uses_count: 0, max_uses: 3, expires_at: expiresAt, created_at: expect.stringMatching(ISO_UTC) });
      const row = await storedCode(code);
      expect({ maxUses: row.maxUses, expiresAt: row.expiresAt?.toISOString() }).toEqual({ maxUses: 3, expiresAt });
    });

    it('accepts codes of 4 and 32 characters of letters, digits, _ and -', async () => {
      const short = randomBytes(3).toString('base64url').slice(0, 4);
      const long = `a_-${randomBytes(24).toString('hex')}`.slice(0, 32);
      await createCode(owner.accessToken, { code: short }).expect(201);
      await createCode(owner.accessToken, { code: long }).expect(201);
    });

    it.each([
      ['3 characters', 'abc'],
      ['33 characters', 'a'.repeat(33)],
      ['a space', 'two words'],
      ['an emoji', 'code😀x'],
      ['a slash', 'ab/cd'],
      ['an SQL fragment', "x' OR '1'='1"],
      ['a number', 1234],
      ['nothing', ''],
    ])('refuses a code with %s with 400 validation_failed, creating nothing', async (_case, code) => {
      const before = await t.em().count(ReferralCode, { user: owner.id });
      expectProblem(await createCode(owner.accessToken, { code }), 400, 'validation_failed');
      expect(await t.em().count(ReferralCode, { user: owner.id })).toBe(before);
    });

    it.each([
      ['max_uses 0', { max_uses: 0 }],
      ['negative max_uses', { max_uses: -1 }],
      ['fractional max_uses', { max_uses: 1.5 }],
      ['max_uses as a string', { max_uses: '5' }],
      ['a non-date expires_at', { expires_at: 'tomorrow' }],
      ['an unknown field', { uses_count: -100 }],
    ])('refuses %s with 400 validation_failed', async (_case, body) => {
      expectProblem(await createCode(owner.accessToken, body), 400, 'validation_failed');
    });

    it('refuses an expiry in the past with 422 validation_failed', async () => {
      const code = uniqueCode();
      const res = await createCode(owner.accessToken, { code, expires_at: new Date(Date.now() - 60_000).toISOString() });
      expectProblem(res, 422, 'validation_failed');
      expect(await t.em().count(ReferralCode, { code })).toBe(0);
    });

    it('refuses a code taken by anyone with 409 conflict', async () => {
      const someone = await createSignedInUser(t);
      const code = uniqueCode();
      await createCode(someone.accessToken, { code }).expect(201);
      expectProblem(await createCode(owner.accessToken, { code }), 409, 'conflict');
      expectProblem(await createCode(someone.accessToken, { code }), 409, 'conflict');
      expect((await storedCode(code)).user.id).toBe(someone.id);
    });

    it('answers 401 to anonymous callers', async () => {
      expectProblem(await t.http.post('/api/v1/referral-codes').send({}), 401, 'unauthorized');
      expectProblem(await t.http.get('/api/v1/referral-codes'), 401, 'unauthorized');
      expectProblem(await t.http.delete(`/api/v1/referral-codes/${uniqueCode()}`), 401, 'unauthorized');
      expectProblem(await t.http.get('/api/v1/me/referrals'), 401, 'unauthorized');
    });
  });

  describe('GET /referral-codes', () => {
    it('lists my codes only, with their use counts, without deleted ones', async () => {
      const user = await createSignedInUser(t);
      const stranger = await createSignedInUser(t);
      const used = uniqueCode('USED');
      const deleted = uniqueCode('DEL');
      const theirs = uniqueCode('THEIRS');
      await createCode(user.accessToken, { code: used, max_uses: 10 }).expect(201);
      await createCode(user.accessToken, { code: deleted }).expect(201);
      await createCode(stranger.accessToken, { code: theirs }).expect(201);
      await register(registration({ referral_code: used })).expect(201);
      await t.http.delete(`/api/v1/referral-codes/${deleted}`).set('Authorization', bearer(user.accessToken)).expect(204);

      const res = await t.http.get('/api/v1/referral-codes').set('Authorization', bearer(user.accessToken)).expect(200);
      expect(Object.keys(res.body)).toEqual(['data']);
      expect(res.body.data).toEqual([{ code: used, uses_count: 1, max_uses: 10, expires_at: null, created_at: expect.stringMatching(ISO_UTC) }]);
    });
  });

  describe('GET /referral-codes/:code (public check)', () => {
    it('answers valid for a usable code, without signing in', async () => {
      const code = uniqueCode();
      await createCode(owner.accessToken, { code, max_uses: 2 }).expect(201);
      const res = await check(code).expect(200);
      expect(res.body).toEqual({ code, valid: true });
    });

    it('answers expired for a code past its expiry', async () => {
      const code = uniqueCode();
      await createCode(owner.accessToken, { code, expires_at: new Date(Date.now() + 60_000).toISOString() }).expect(201);
      await t.em().nativeUpdate(ReferralCode, { code }, { expiresAt: new Date(Date.now() - 1000) });
      expect((await check(code).expect(200)).body).toEqual({ code, valid: false, reason: 'expired' });
      const body = registration({ referral_code: code });
      expectProblem(await register(body), 422, 'validation_failed');
      expect(await t.em().count(User, { username: body.username as string })).toBe(0);
    });

    it('answers exhausted once max_uses registrations used it, and refuses the next registration with 422', async () => {
      const code = uniqueCode();
      await createCode(owner.accessToken, { code, max_uses: 1 }).expect(201);
      await register(registration({ referral_code: code })).expect(201);
      expect((await check(code).expect(200)).body).toEqual({ code, valid: false, reason: 'exhausted' });
      const body = registration({ referral_code: code });
      expectProblem(await register(body), 422, 'validation_failed');
      expect(await t.em().count(User, { username: body.username as string })).toBe(0);
      expect((await storedCode(code)).usesCount).toBe(1);
    });

    it.each([
      ['an unknown code', uniqueCode()],
      ['an SQL fragment', "x' OR '1'='1"],
      ['a code longer than any valid one', 'x'.repeat(90)],
      ['a LIKE wildcard', '%'],
    ])('answers 200 not_found for %s', async (_case, code) => {
      const res = await check(code).expect(200);
      expect(res.body).toMatchObject({ valid: false, reason: 'not_found' });
      expect(Object.keys(res.body).sort()).toEqual(['code', 'reason', 'valid']);
    });

    it('answers the same with or without a token', async () => {
      const code = uniqueCode();
      await createCode(owner.accessToken, { code }).expect(201);
      const signedIn = await t.http.get(`/api/v1/referral-codes/${code}`).set('Authorization', bearer(owner.accessToken)).expect(200);
      expect(signedIn.body).toEqual({ code, valid: true });
    });
  });

  describe('DELETE /referral-codes/:code', () => {
    it('answers 204; the code then checks as not_found and registration with it is refused with 422', async () => {
      const code = uniqueCode();
      await createCode(owner.accessToken, { code }).expect(201);
      await t.http.delete(`/api/v1/referral-codes/${code}`).set('Authorization', bearer(owner.accessToken)).expect(204);
      expect((await check(code).expect(200)).body).toEqual({ code, valid: false, reason: 'not_found' });
      const body = registration({ referral_code: code });
      expectProblem(await register(body), 422, 'validation_failed');
      expect(await t.em().count(User, { username: body.username as string })).toBe(0);
      expectProblem(await t.http.delete(`/api/v1/referral-codes/${code}`).set('Authorization', bearer(owner.accessToken)), 404, 'not_found');
    });

    it("answers 404 for someone else's code, which keeps working", async () => {
      const code = uniqueCode();
      await createCode(owner.accessToken, { code }).expect(201);
      const attacker = await createSignedInUser(t);
      expectProblem(await t.http.delete(`/api/v1/referral-codes/${code}`).set('Authorization', bearer(attacker.accessToken)), 404, 'not_found');
      expect((await check(code).expect(200)).body).toEqual({ code, valid: true });
    });

    it('answers 404 for an unknown code', async () => {
      expectProblem(await t.http.delete(`/api/v1/referral-codes/${uniqueCode()}`).set('Authorization', bearer(owner.accessToken)), 404, 'not_found');
    });

    it('keeps the referrals made with a deleted code', async () => {
      const referrer = await createSignedInUser(t);
      const code = uniqueCode();
      await createCode(referrer.accessToken, { code }).expect(201);
      const referred = await register(registration({ referral_code: code })).expect(201);
      await t.http.delete(`/api/v1/referral-codes/${code}`).set('Authorization', bearer(referrer.accessToken)).expect(204);
      const res = await t.http.get('/api/v1/me/referrals').set('Authorization', bearer(referrer.accessToken)).expect(200);
      expect(res.body.data.map((r: { user: { id: string } }) => r.user.id)).toEqual([referred.body.user.id]);
    });
  });

  describe('registering with a code, and GET /me/referrals', () => {
    it("records the referral in the referrer's list, and counts the use", async () => {
      const referrer = await createSignedInUser(t);
      const code = uniqueCode();
      await createCode(referrer.accessToken, { code }).expect(201);
      const res = await register(registration({ referral_code: code })).expect(201);

      const list = await t.http.get('/api/v1/me/referrals').set('Authorization', bearer(referrer.accessToken)).expect(200);
      expect(Object.keys(list.body).sort()).toEqual(['data', 'next_cursor']);
      expect(list.body.next_cursor).toBeNull();
      expect(list.headers.link).toBeUndefined();
      expect(list.body.data).toEqual([
        { user: expect.objectContaining({ id: res.body.user.id, username: res.body.user.username }), code, earned_cents: 0, created_at: expect.stringMatching(ISO_UTC) },
      ]);
      expect(list.body.data[0].user).not.toHaveProperty('email');
      expect((await storedCode(code)).usesCount).toBe(1);
      const row = await t.em().findOneOrFail(Referral, { referredUser: res.body.user.id });
      expect(row.referrer.id).toBe(referrer.id);

      // The referred user has no referrals of their own, and nobody else sees this one.
      const theirs = await t.http.get('/api/v1/me/referrals').set('Authorization', bearer(res.body.access_token)).expect(200);
      expect(theirs.body).toEqual({ data: [], next_cursor: null });
    });

    it('pages with limit=1 across 3 referrals with no repeats or skips, a Link header while there is more, even as new ones arrive', async () => {
      const referrer = await createSignedInUser(t);
      const code = uniqueCode();
      await createCode(referrer.accessToken, { code }).expect(201);
      const referred: string[] = [];
      for (let i = 0; i < 3; i++) referred.push((await register(registration({ referral_code: code })).expect(201)).body.user.id);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/api/v1/me/referrals?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await t.http.get(url).set('Authorization', bearer(referrer.accessToken)).expect(200);
        expect(page.body.data).toHaveLength(1);
        seen.push(page.body.data[0].user.id);
        cursor = page.body.next_cursor;
        if (cursor) {
          expect(page.headers.link).toMatch(/^<[^>]+>; rel="next"$/);
          expect(decodeURIComponent(page.headers.link)).toContain(`cursor=${cursor}`);
          expect(page.headers.link).toContain('limit=1');
        } else {
          expect(page.headers.link).toBeUndefined();
        }
        // A newcomer while paging lands on the first page, not in the middle of ours.
        if (pages === 0) await register(registration({ referral_code: code })).expect(201);
        pages++;
      } while (cursor && pages < 10);

      expect(pages).toBe(3);
      expect(seen).toEqual([...referred].reverse());
      const all = await t.http.get('/api/v1/me/referrals?limit=100').set('Authorization', bearer(referrer.accessToken)).expect(200);
      expect(all.body.data).toHaveLength(4);
      expect(all.body.data.slice(1).map((r: { user: { id: string } }) => r.user.id)).toEqual(seen);
    });

    it.each([
      ['limit=0', 'limit=0'],
      ['limit=101', 'limit=101'],
      ['limit=abc', 'limit=abc'],
      ['a forged cursor', `cursor=${Buffer.from("2020-01-01|' or 1=1 --").toString('base64url')}`],
      ['a garbage cursor', 'cursor=%%%'],
    ])('refuses %s with 400 validation_failed', async (_case, query) => {
      expectProblem(await t.http.get(`/api/v1/me/referrals?${query}`).set('Authorization', bearer(owner.accessToken)), 400, 'validation_failed');
    });

    it('makes exactly max_uses referred users out of 50 parallel registrations', async () => {
      const referrer = await createSignedInUser(t);
      const code = uniqueCode('RACE');
      await createCode(referrer.accessToken, { code, max_uses: 5 }).expect(201);
      const bodies = Array.from({ length: 50 }, () => registration({ referral_code: code }));

      const answers = await Promise.all(bodies.map((body) => register(body)));

      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(5);
      expect(statuses.filter((s) => s === 422)).toHaveLength(45);
      for (const r of answers.filter((a) => a.status === 422)) expectProblem(r, 422, 'validation_failed');

      const usernames = bodies.map((b) => b.username as string);
      expect(await t.em().count(User, { username: { $in: usernames } })).toBe(5);
      expect(await t.em().count(Referral, { referrer: referrer.id })).toBe(5);
      expect((await storedCode(code)).usesCount).toBe(5);
      const created = new Set(answers.filter((a) => a.status === 201).map((a) => a.body.user.id));
      const listed = await t.http.get('/api/v1/me/referrals?limit=100').set('Authorization', bearer(referrer.accessToken)).expect(200);
      expect(new Set(listed.body.data.map((r: { user: { id: string } }) => r.user.id))).toEqual(created);
      const own = await t.http.get('/api/v1/referral-codes').set('Authorization', bearer(referrer.accessToken)).expect(200);
      expect(own.body.data).toEqual([expect.objectContaining({ code, uses_count: 5, max_uses: 5 })]);
      expect((await check(code)).body).toEqual({ code, valid: false, reason: 'exhausted' });
    });

    it('spends no use on a registration that fails for another reason (taken username or email)', async () => {
      const code = uniqueCode();
      await createCode(owner.accessToken, { code, max_uses: 1 }).expect(201);
      const existing = await createUser(t);
      expectProblem(await register(registration({ username: existing.username.toUpperCase(), referral_code: code })), 409, 'conflict');
      expectProblem(await register(registration({ email: existing.email, referral_code: code })), 409, 'conflict');
      expectProblem(await register(registration({ password: 'short', referral_code: code })), 400, 'validation_failed');
      expect((await storedCode(code)).usesCount).toBe(0);
      expect((await check(code).expect(200)).body).toEqual({ code, valid: true });
      await register(registration({ referral_code: code })).expect(201);
      expect((await storedCode(code)).usesCount).toBe(1);
    });
  });
});

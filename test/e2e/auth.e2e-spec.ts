import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { RedisService } from '@/common/redis/redis.service';
import { Session } from '@/modules/auth/entities/session.entity';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem, ISO_UTC, problemShape } from '../factories/http';
import {
  bearer,
  createSignedInUser,
  createUser,
  emailFor,
  freshUserBody,
  keysOf,
  OWN_USER_KEYS,
  PASSWORD,
  registration,
  signIn,
  SignedInUser,
  uniqueUsername,
} from '../factories/users';
import { useTestApp } from '../support/app';

const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A JWT made by hand, so the tests can forge what an attacker would: other secrets, `alg: none`, stale claims. */
function jwt(payload: object, secret: string | null, header: object = { alg: secret === null ? 'none' : 'HS256', typ: 'JWT' }): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  const signature = secret === null ? '' : createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

function claimsOf(accessToken: string): { sub: string; sid: string; exp: number; iat: number } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
}

describe('Auth and sessions', () => {
  // Our own Redis prefix: this file's rate-limit counters and session cache are nobody else's business.
  const t = useTestApp({ redisScope: 'auth' });

  const me = (token: string) => t.http.get('/api/v1/me').set('Authorization', bearer(token));
  const login = (body: object, userAgent = 'jest-login') => t.http.post('/api/v1/auth/login').set('User-Agent', userAgent).send(body);
  const refresh = (refreshToken: string) => t.http.post('/api/v1/auth/refresh').send({ refresh_token: refreshToken });
  const countUsers = (where: object) => t.em().count(User, where);

  describe('POST /auth/register', () => {
    it('creates the account and answers 201 with the user and a token pair', async () => {
      const body = registration({ email: `  Mixed.Case.${randomBytes(3).toString('hex')}@Example.TEST `, display_name: 'Ada L.' });
      const res = await t.http.post('/api/v1/auth/register').set('User-Agent', 'jest-register').send(body).expect(201);

      expect(keysOf(res.body)).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
      expect(res.body.expires_in).toBeGreaterThan(0);
      expect(keysOf(res.body.user)).toEqual(OWN_USER_KEYS);
      expect(res.body.user).toEqual(
        freshUserBody({
          id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
          username: body.username,
          email: (body.email as string).trim().toLowerCase(),
          email_verified: false,
          display_name: 'Ada L.',
        }),
      );
      expect(res.text).not.toContain(PASSWORD);
      expect(res.text).not.toMatch(/password/i);

      const again = await me(res.body.access_token).expect(200);
      expect(again.body).toEqual(res.body.user);

      const [row] = await t.em().execute<{ password_hash: string }[]>('select password_hash from users where id = ?', [res.body.user.id]);
      expect(row.password_hash.startsWith('$argon2id$')).toBe(true);
      expect(row.password_hash).not.toContain(PASSWORD);
      // Only a hash of the refresh token's secret is stored.
      const sessions = await t.em().find(Session, { user: res.body.user.id });
      expect(sessions).toHaveLength(1);
      expect(res.body.refresh_token).not.toContain(sessions[0].token);
      expect(res.body.refresh_token.split('.')[1]).not.toBe(sessions[0].token);
    });

    it('defaults display_name to the username', async () => {
      const body = registration();
      const res = await t.http.post('/api/v1/auth/register').send(body).expect(201);
      expect(res.body.user.display_name).toBe(body.username);
    });

    it('accepts the boundary lengths: 3 and 30 character usernames, 10 and 128 character passwords', async () => {
      const short = randomBytes(8).toString('base64url').replace(/-/g, '_').slice(0, 3);
      const long = uniqueUsername('l').padEnd(30, '9');
      await t.http.post('/api/v1/auth/register').send(registration({ username: short, email: emailFor(`${short}_${randomUUID()}`), password: 'p'.repeat(10) })).expect(201);
      await t.http.post('/api/v1/auth/register').send(registration({ username: long, email: emailFor(long), password: 'p'.repeat(128) })).expect(201);
    });

    it('refuses a username taken in another case with 409 conflict, creating nothing', async () => {
      const taken = await createUser(t, { username: uniqueUsername('Alice') });
      for (const username of [taken.username, taken.username.toLowerCase(), taken.username.toUpperCase()]) {
        const email = emailFor(uniqueUsername());
        const res = await t.http.post('/api/v1/auth/register').send(registration({ username, email }));
        expectProblem(res, 409, 'conflict');
        expect(await countUsers({ email })).toBe(0);
      }
    });

    it('refuses an email taken in another case or with surrounding spaces with 409 conflict', async () => {
      const taken = await createUser(t);
      for (const email of [taken.email, taken.email.toUpperCase(), `  ${taken.email} `, ` ${taken.email.replace(/^./, (c) => c.toUpperCase())}`]) {
        const username = uniqueUsername();
        const res = await t.http.post('/api/v1/auth/register').send(registration({ username, email }));
        expectProblem(res, 409, 'conflict');
        expect(await countUsers({ username })).toBe(0);
      }
    });

    it.each([
      ['too short', 'ab'],
      ['too long', 'a'.repeat(31)],
      ['an emoji', 'smile😀'],
      ['a space', 'two words'],
      ['a hyphen', 'a-b'],
      ['a dot', 'a.b.c'],
      ['a non-ASCII letter', 'jürgen'],
      ['an SQL fragment', "x' OR '1'='1"],
      ['a leading space', ' abcdef'],
      ['nothing', ''],
    ])('refuses a username with %s with 400 validation_failed', async (_case, username) => {
      const email = emailFor(uniqueUsername());
      const res = await t.http.post('/api/v1/auth/register').send(registration({ username, email }));
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'username' })]));
      expect(await countUsers({ email })).toBe(0);
    });

    it.each(['not-an-email', 'a@', '@example.test', 'two words@example.test', "x'; drop table users; --@x", ''])(
      'refuses the email %j with 400 validation_failed',
      async (email) => {
        const username = uniqueUsername();
        const res = await t.http.post('/api/v1/auth/register').send(registration({ username, email }));
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'email' })]));
        expect(await countUsers({ username })).toBe(0);
      },
    );

    it.each([
      ['9 characters', 'p'.repeat(9)],
      ['129 characters', 'p'.repeat(129)],
      ['empty', ''],
    ])('refuses a password of %s with 400 validation_failed', async (_case, password) => {
      const username = uniqueUsername();
      const res = await t.http.post('/api/v1/auth/register').send(registration({ username, password }));
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'password' })]));
      expect(await countUsers({ username })).toBe(0);
    });

    it.each([
      ['role', { role: 'admin' }],
      ['verified', { verified: true }],
      ['id', { id: randomUUID() }],
      ['password_hash', { password_hash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' }],
    ])('refuses the unknown field %s with 400 validation_failed instead of storing it', async (_field, extra) => {
      const body = registration(extra);
      const res = await t.http.post('/api/v1/auth/register').send(body);
      expectProblem(res, 400, 'validation_failed');
      expect(await countUsers({ username: body.username as string })).toBe(0);
    });

    it.each([
      ['a numeric username', { username: 12345 }],
      ['a boolean email', { email: true }],
      ['an array password', { password: ['long-enough-password'] }],
      ['an object display_name', { display_name: { $gt: '' } }],
      ['a numeric referral_code', { referral_code: 1234 }],
      ['a null username', { username: null }],
      ['a 101 character display_name', { display_name: 'd'.repeat(101) }],
    ])('refuses %s with 400 validation_failed, never 500', async (_case, override) => {
      const res = await t.http.post('/api/v1/auth/register').send(registration(override));
      expectProblem(res, 400, 'validation_failed');
    });

    it.each([
      ['an array', '[]'],
      ['a string', '"username"'],
      ['null', 'null'],
      ['a number', '42'],
    ])('refuses a body that is %s with 400 validation_failed', async (_case, raw) => {
      const res = await t.http.post('/api/v1/auth/register').set('Content-Type', 'application/json').send(raw);
      expectProblem(res, 400, 'validation_failed');
    });

    it('stores SQL-looking text verbatim (queries are parameterised)', async () => {
      const displayName = "Robert'); DROP TABLE users; --";
      const res = await t.http.post('/api/v1/auth/register').send(registration({ display_name: displayName })).expect(201);
      expect(res.body.user.display_name).toBe(displayName);
      const stored = await t.em().findOneOrFail(User, { id: res.body.user.id });
      expect(stored.displayName).toBe(displayName);
    });

    it('leaves no half-created account when the registration fails late (unknown referral code)', async () => {
      const body = registration({ referral_code: `nope_${randomBytes(4).toString('hex')}` });
      const res = await t.http.post('/api/v1/auth/register').send(body);
      expectProblem(res, 422, 'validation_failed');
      expect(await countUsers({ username: body.username as string })).toBe(0);
      expect(await countUsers({ email: body.email as string })).toBe(0);
    });
  });

  describe('POST /auth/login', () => {
    it('signs in by username in any case and answers the token pair with the user', async () => {
      const user = await createUser(t, { username: uniqueUsername('Bob') });
      for (const name of [user.username, user.username.toUpperCase(), user.username.toLowerCase()]) {
        const res = await login({ login: name, password: PASSWORD }).expect(200);
        expect(res.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
        expect(res.body.expires_in).toBeGreaterThan(0);
        expect(keysOf(res.body.user)).toEqual(OWN_USER_KEYS);
        expect(res.body.user.id).toBe(user.id);
        await me(res.body.access_token).expect(200);
      }
    });

    it('signs in by email in any case, with surrounding spaces', async () => {
      const user = await createUser(t);
      const res = await login({ login: `  ${user.email.toUpperCase()} `, password: PASSWORD }).expect(200);
      expect(res.body.user).toMatchObject({ id: user.id, email: user.email });
    });

    it('answers an unknown account and a wrong password identically: 401 unauthorized', async () => {
      const user = await createUser(t);
      const wrongPassword = await login({ login: user.username, password: 'not-the-password' });
      const unknownUser = await login({ login: uniqueUsername('ghost'), password: 'not-the-password' });
      const unknownEmail = await login({ login: emailFor(uniqueUsername('ghost')), password: PASSWORD });
      for (const res of [wrongPassword, unknownUser, unknownEmail]) expectProblem(res, 401, 'unauthorized');
      expect(problemShape(unknownUser)).toEqual(problemShape(wrongPassword));
      expect(problemShape(unknownEmail)).toEqual(problemShape(wrongPassword));
      expect(unknownUser.headers['content-type']).toBe(wrongPassword.headers['content-type']);
    });

    it('answers an account without a password (Google sign-in only) like a wrong password', async () => {
      const user = await createUser(t, { passwordHash: null });
      const res = await login({ login: user.username, password: PASSWORD });
      expectProblem(res, 401, 'unauthorized');
    });

    it('refuses a suspended account with 403 forbidden, but only once the password is right', async () => {
      const user = await createUser(t, { suspended: true });
      expectProblem(await login({ login: user.username, password: PASSWORD }), 403, 'forbidden');
      expectProblem(await login({ login: user.username, password: 'wrong-password' }), 401, 'unauthorized');
      expect(await t.em().count(Session, { user: user.id })).toBe(0);
    });

    it.each([
      [401, 'an SQL injection in login', { login: "' OR '1'='1' --", password: 'anything-at-all' }],
      [401, 'an SQL injection in password', { login: 'admin', password: "' OR '1'='1' --" }],
      [400, 'an operator object as password', { login: 'admin', password: { $ne: null } }],
      [400, 'a missing password', { login: 'admin' }],
      [400, 'an empty login', { login: '', password: 'whatever-long' }],
      [400, 'an unknown field', { login: 'admin', password: 'whatever-long', remember: true }],
    ])('answers %i to %s, never 500', async (status, _case, body) => {
      const res = await login(body);
      expectProblem(res, status, status === 401 ? 'unauthorized' : 'validation_failed');
    });
  });

  describe('access tokens', () => {
    let user: SignedInUser;

    beforeAll(async () => {
      user = await createSignedInUser(t);
    });

    it('GET /me answers the own user with a valid access token', async () => {
      const res = await me(user.accessToken).expect(200);
      expect(keysOf(res.body)).toEqual(OWN_USER_KEYS);
      expect(res.body).toMatchObject({ id: user.id, username: user.username, email: user.email });
    });

    it('answers 401 without an Authorization header', async () => {
      expectProblem(await t.http.get('/api/v1/me'), 401, 'unauthorized');
    });

    it.each([
      ['the token without "Bearer"', (tok: string) => tok],
      ['"Bearer" alone', () => 'Bearer'],
      ['"Bearer " and spaces', () => 'Bearer    '],
      ['a Basic scheme', () => `Basic ${Buffer.from('admin:admin').toString('base64')}`],
      ['garbage', () => 'Bearer garbage'],
      ['a truncated token', (tok: string) => `Bearer ${tok.slice(0, -5)}`],
      ['two tokens', (tok: string) => `Bearer ${tok} ${tok}`],
    ])('answers 401 for %s', async (_case, header) => {
      const res = await t.http.get('/api/v1/me').set('Authorization', header(user.accessToken));
      expectProblem(res, 401, 'unauthorized');
    });

    it('refuses forged tokens: alg none, another secret, altered claims, expired, unknown session, a refresh token', async () => {
      const claims = claimsOf(user.accessToken);
      const now = Math.floor(Date.now() / 1000);
      const other = await createSignedInUser(t);
      const forged = {
        algNone: jwt(claims, null),
        algNoneUpper: jwt(claims, null, { alg: 'NONE', typ: 'JWT' }),
        otherSecret: jwt(claims, randomBytes(32).toString('hex')),
        hs512: jwt(claims, t.config.auth.jwtSecret, { alg: 'HS512', typ: 'JWT' }),
        // The real signature over the original claims, with another user's id swapped in.
        alteredSub: `${user.accessToken.split('.')[0]}.${b64url({ ...claims, sub: other.id })}.${user.accessToken.split('.')[2]}`,
        expired: jwt({ ...claims, iat: now - 3600, exp: now - 60 }, t.config.auth.jwtSecret),
        unknownSession: jwt({ ...claims, sid: randomUUID() }, t.config.auth.jwtSecret),
        notASession: jwt({ ...claims, sid: "' or 1=1 --" }, t.config.auth.jwtSecret),
        refreshToken: user.refreshToken,
      };
      for (const [name, token] of Object.entries(forged)) {
        const res = await me(token);
        expect({ name, status: res.status, code: res.body.code }).toEqual({ name, status: 401, code: 'unauthorized' });
      }
      await me(user.accessToken).expect(200);
    });

    it("refuses a token naming one user and another user's session, and that session keeps working", async () => {
      const victim = await createSignedInUser(t);
      const victimSession = claimsOf(victim.accessToken).sid;
      const crossed = jwt({ ...claimsOf(user.accessToken), sid: victimSession }, t.config.auth.jwtSecret);
      expectProblem(await me(crossed), 401, 'unauthorized');
      await me(victim.accessToken).expect(200);
      await me(user.accessToken).expect(200);
    });

    it('accepts a token we signed ourselves with the right claims (the forgeries above fail for their flaw)', async () => {
      const claims = claimsOf(user.accessToken);
      const now = Math.floor(Date.now() / 1000);
      await me(jwt({ ...claims, iat: now, exp: now + 60 }, t.config.auth.jwtSecret)).expect(200);
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: a new pair works and the old refresh token stops working', async () => {
      const user = await createSignedInUser(t);
      const res = await refresh(user.refreshToken).expect(200);
      expect(keysOf(res.body)).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
      expect(res.body.token_type).toBe('Bearer');
      expect(res.body.refresh_token).not.toBe(user.refreshToken);
      expect(claimsOf(res.body.access_token).sid).toBe(claimsOf(user.accessToken).sid);
      await me(res.body.access_token).expect(200);

      const next = await refresh(res.body.refresh_token).expect(200);
      await me(next.body.access_token).expect(200);
    });

    it('revokes the whole session when an already rotated refresh token comes back (reuse detection)', async () => {
      const user = await createSignedInUser(t);
      const other = await signIn(t, user);
      const rotated = await refresh(user.refreshToken).expect(200);
      const newest = await refresh(rotated.body.refresh_token).expect(200);

      // The thief (or the victim) presents a token that was already rotated.
      expectProblem(await refresh(user.refreshToken), 401, 'unauthorized');

      expectProblem(await refresh(newest.body.refresh_token), 401, 'unauthorized');
      expectProblem(await me(newest.body.access_token), 401, 'unauthorized');
      expectProblem(await me(user.accessToken), 401, 'unauthorized');
      const session = await t.em().findOneOrFail(Session, { id: claimsOf(user.accessToken).sid });
      expect(session.revokedAt).toBeInstanceOf(Date);
      expect(session.revokedReason).toBe('reuse');
      // Only that session: the user's other device is untouched.
      await me(other.accessToken).expect(200);
      await refresh(other.refreshToken).expect(200);
    });

    it.each([
      ['garbage', 'garbage'],
      ['an unknown session', `${randomUUID()}.${randomBytes(32).toString('base64url')}`],
      ['an SQL fragment', "' or 1=1 --"],
      ['an empty string', ''],
    ])('answers 401 unauthorized for %s', async (_case, token) => {
      expectProblem(await refresh(token), 401, 'unauthorized');
    });

    it('answers 401 for a forged secret on a real session, and that session survives', async () => {
      const user = await createSignedInUser(t);
      const [sessionId] = user.refreshToken.split('.');
      // A different secret is not "already rotated": it never was this session's token.
      const res = await refresh(`${sessionId}.${randomBytes(32).toString('base64url')}`);
      expectProblem(res, 401, 'unauthorized');
    });

    it('refuses a missing or non-string refresh_token with 400 validation_failed', async () => {
      expectProblem(await t.http.post('/api/v1/auth/refresh').send({}), 400, 'validation_failed');
      expectProblem(await t.http.post('/api/v1/auth/refresh').send({ refresh_token: 42 }), 400, 'validation_failed');
    });

    it('refuses the access token in place of the refresh token', async () => {
      const user = await createSignedInUser(t);
      const res = await refresh(user.accessToken);
      // Longer than any refresh token: refused as malformed (400) or as invalid (401), never rotated.
      expect([400, 401]).toContain(res.status);
      expectProblem(res, res.status, res.status === 400 ? 'validation_failed' : 'unauthorized');
      await refresh(user.refreshToken).expect(200);
    });
  });

  describe('POST /auth/logout', () => {
    it('answers 204 and the access token stops working at once, the refresh token too', async () => {
      const user = await createSignedInUser(t);
      await me(user.accessToken).expect(200); // cached as live first
      await t.http.post('/api/v1/auth/logout').set('Authorization', bearer(user.accessToken)).expect(204);
      expectProblem(await me(user.accessToken), 401, 'unauthorized');
      expectProblem(await refresh(user.refreshToken), 401, 'unauthorized');
      const session = await t.em().findOneOrFail(Session, { id: claimsOf(user.accessToken).sid });
      expect(session.revokedAt).toBeInstanceOf(Date);
    });

    it('ends the session named by its refresh token alone', async () => {
      const user = await createSignedInUser(t);
      await t.http.post('/api/v1/auth/logout').send({ refresh_token: user.refreshToken }).expect(204);
      expectProblem(await me(user.accessToken), 401, 'unauthorized');
      expectProblem(await refresh(user.refreshToken), 401, 'unauthorized');
    });

    it("does not end someone else's session named by their refresh token", async () => {
      const attacker = await createSignedInUser(t);
      const victim = await createSignedInUser(t);
      await t.http
        .post('/api/v1/auth/logout')
        .set('Authorization', bearer(attacker.accessToken))
        .send({ refresh_token: victim.refreshToken })
        .expect(204);
      expectProblem(await me(attacker.accessToken), 401, 'unauthorized');
      await me(victim.accessToken).expect(200);
    });

    it('answers 401 with neither an access token nor a refresh token', async () => {
      expectProblem(await t.http.post('/api/v1/auth/logout'), 401, 'unauthorized');
      expectProblem(await t.http.post('/api/v1/auth/logout').send({ refresh_token: 'garbage' }), 401, 'unauthorized');
    });
  });

  describe('GET /auth/sessions and DELETE /auth/sessions/:id', () => {
    it('lists the live sessions with user agent, ip, last use and which one is current', async () => {
      const laptop = await createSignedInUser(t);
      const phone = await signIn(t, laptop, { userAgent: 'PhoneApp/2.0', ip: '203.0.113.7' });
      const gone = await signIn(t, laptop, { userAgent: 'OldBrowser/1.0' });
      await t.http.post('/api/v1/auth/logout').set('Authorization', bearer(gone.accessToken)).expect(204);

      const res = await t.http.get('/api/v1/auth/sessions').set('Authorization', bearer(laptop.accessToken)).expect(200);
      expect(keysOf(res.body)).toEqual(['data']);
      expect(res.body.data).toHaveLength(2);
      for (const s of res.body.data) {
        expect(keysOf(s)).toEqual(['created_at', 'current', 'id', 'ip', 'last_used_at', 'user_agent']);
        expect(s.created_at).toMatch(ISO_UTC);
        expect(s.last_used_at).toMatch(ISO_UTC);
      }
      const byId = Object.fromEntries(res.body.data.map((s: { id: string }) => [s.id, s]));
      expect(byId[claimsOf(laptop.accessToken).sid]).toMatchObject({ current: true, user_agent: 'factory', ip: '127.0.0.1' });
      expect(byId[claimsOf(phone.accessToken).sid]).toMatchObject({ current: false, user_agent: 'PhoneApp/2.0', ip: '203.0.113.7' });
    });

    it('records the user agent and address of an HTTP sign-in', async () => {
      const user = await createUser(t);
      const signedIn = await login({ login: user.username, password: PASSWORD }, 'Mozilla/5.0 (jest)').expect(200);
      const res = await t.http.get('/api/v1/auth/sessions').set('Authorization', bearer(signedIn.body.access_token)).expect(200);
      expect(res.body.data).toEqual([
        expect.objectContaining({ current: true, user_agent: 'Mozilla/5.0 (jest)', ip: expect.stringMatching(/127\.0\.0\.1|::1/) }),
      ]);
    });

    it('revokes another of my sessions at once: its access token answers 401 on the next request', async () => {
      const user = await createSignedInUser(t);
      const other = await signIn(t, user);
      await me(other.accessToken).expect(200); // cached as live first
      const otherId = claimsOf(other.accessToken).sid;

      await t.http.delete(`/api/v1/auth/sessions/${otherId}`).set('Authorization', bearer(user.accessToken)).expect(204);
      expectProblem(await me(other.accessToken), 401, 'unauthorized');
      expectProblem(await refresh(other.refreshToken), 401, 'unauthorized');
      await me(user.accessToken).expect(200);
      const list = await t.http.get('/api/v1/auth/sessions').set('Authorization', bearer(user.accessToken)).expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([claimsOf(user.accessToken).sid]);
      // Gone is gone: a second delete finds nothing.
      expectProblem(
        await t.http.delete(`/api/v1/auth/sessions/${otherId}`).set('Authorization', bearer(user.accessToken)),
        404,
        'not_found',
      );
    });

    it("answers 404 for someone else's session id, which keeps working", async () => {
      const attacker = await createSignedInUser(t);
      const victim = await createSignedInUser(t);
      const res = await t.http
        .delete(`/api/v1/auth/sessions/${claimsOf(victim.accessToken).sid}`)
        .set('Authorization', bearer(attacker.accessToken));
      expectProblem(res, 404, 'not_found');
      await me(victim.accessToken).expect(200);
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      const user = await createSignedInUser(t);
      expectProblem(await t.http.delete(`/api/v1/auth/sessions/${randomUUID()}`).set('Authorization', bearer(user.accessToken)), 404, 'not_found');
      expectProblem(await t.http.delete("/api/v1/auth/sessions/1' or '1'='1").set('Authorization', bearer(user.accessToken)), 400, 'validation_failed');
    });

    it('answers 401 to anonymous callers', async () => {
      expectProblem(await t.http.get('/api/v1/auth/sessions'), 401, 'unauthorized');
      expectProblem(await t.http.delete(`/api/v1/auth/sessions/${randomUUID()}`), 401, 'unauthorized');
    });
  });

  describe('revocation without the Redis cache', () => {
    async function deleteSessionCache(): Promise<number> {
      const redis = t.app.get(RedisService).client as Redis;
      const keys = await redis.keys(`${t.config.redis.prefix}:sess:*`);
      if (keys.length) await redis.del(...keys);
      return keys.length;
    }

    it('keeps revoked tokens refused and live ones accepted after our sess:* keys are flushed', async () => {
      const user = await createSignedInUser(t);
      const revoked = await signIn(t, user);
      const loggedOut = await signIn(t, user);
      await me(revoked.accessToken).expect(200);
      await t.http.delete(`/api/v1/auth/sessions/${claimsOf(revoked.accessToken).sid}`).set('Authorization', bearer(user.accessToken)).expect(204);
      await t.http.post('/api/v1/auth/logout').set('Authorization', bearer(loggedOut.accessToken)).expect(204);

      expect(await deleteSessionCache()).toBeGreaterThan(0);

      expectProblem(await me(revoked.accessToken), 401, 'unauthorized');
      expectProblem(await me(loggedOut.accessToken), 401, 'unauthorized');
      await me(user.accessToken).expect(200);
      // And once more, now that the cache has been refilled from PostgreSQL.
      expectProblem(await me(revoked.accessToken), 401, 'unauthorized');
      await me(user.accessToken).expect(200);
    });
  });

  describe('POST /auth/password', () => {
    const changePassword = (token: string, body: object) =>
      t.http.post('/api/v1/auth/password').set('Authorization', bearer(token)).send(body);

    it('answers 422 for a wrong current password and changes nothing', async () => {
      const user = await createSignedInUser(t);
      const other = await signIn(t, user);
      const res = await changePassword(user.accessToken, { current_password: 'not-my-password', new_password: 'brand-new-password' });
      expectProblem(res, 422, 'validation_failed');
      await me(other.accessToken).expect(200);
      await login({ login: user.username, password: PASSWORD }).expect(200);
    });

    it.each([
      ['a short new password', { current_password: PASSWORD, new_password: 'short' }],
      ['a missing current password', { new_password: 'brand-new-password' }],
      ['an unknown field', { current_password: PASSWORD, new_password: 'brand-new-password', logout_others: false }],
    ])('answers 400 for %s', async (_case, body) => {
      const user = await createSignedInUser(t);
      expectProblem(await changePassword(user.accessToken, body), 400, 'validation_failed');
    });

    it('changes the password, revokes every other session at once and keeps the current one', async () => {
      const user = await createSignedInUser(t);
      const laptop = await signIn(t, user);
      const phone = await signIn(t, user);
      await me(laptop.accessToken).expect(200); // cached as live first
      const newPassword = 'a-much-better-passphrase';

      await changePassword(user.accessToken, { current_password: PASSWORD, new_password: newPassword }).expect(204);

      for (const other of [laptop, phone]) {
        expectProblem(await me(other.accessToken), 401, 'unauthorized');
        expectProblem(await refresh(other.refreshToken), 401, 'unauthorized');
      }
      await me(user.accessToken).expect(200);
      await refresh(user.refreshToken).expect(200);
      expectProblem(await login({ login: user.username, password: PASSWORD }), 401, 'unauthorized');
      await login({ login: user.username, password: newPassword }).expect(200);
      const [row] = await t.em().execute<{ password_hash: string }[]>('select password_hash from users where id = ?', [user.id]);
      expect(row.password_hash.startsWith('$argon2id$')).toBe(true);
    });

    it('answers 401 to anonymous callers', async () => {
      expectProblem(await t.http.post('/api/v1/auth/password').send({ current_password: PASSWORD, new_password: 'brand-new-password' }), 401, 'unauthorized');
    });
  });
});

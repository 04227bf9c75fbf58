import { randomBytes } from 'node:crypto';
import request, { Response } from 'supertest';
import { decrypt } from '@/common/security/encryption';
import { UserOAuthIdentity } from '@/modules/auth/entities/user-oauth-identity.entity';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem } from '../factories/http';
import { bearer, createUser, keysOf, OWN_USER_KEYS, PASSWORD, uniqueUsername } from '../factories/users';
import { useTestApp } from '../support/app';
import { OAuthProvider, UserinfoClaims } from '../support/oauth-provider';

const CALLBACK_URL = 'http://localhost:3000/api/v1/auth/google/callback';
const APP_REDIRECT = 'https://app.example.com/auth/done';
const NATIVE_REDIRECT = 'x18app://signin/';
const B64URL_256_BITS = /^[A-Za-z0-9_-]{43}$/;

/** A Google account nobody else in the run uses. */
function googleAccount(overrides: Partial<UserinfoClaims> = {}): UserinfoClaims {
  const id = randomBytes(6).toString('hex');
  return {
    sub: `g-${id}`,
    email: `g.${id}@gmail.test`,
    email_verified: true,
    name: `Gina ${id}`,
    picture: `https://lh3.googleusercontent.test/${id}.png`,
    ...overrides,
  };
}

describe('Google sign-in', () => {
  let provider: OAuthProvider;
  beforeAll(async () => {
    provider = await OAuthProvider.start();
  });
  const t = useTestApp({
    redisScope: 'google',
    env: () => ({ ...provider.env(CALLBACK_URL), OAUTH_REDIRECT_ALLOWLIST: `${APP_REDIRECT}, ${NATIVE_REDIRECT}` }),
  });

  const countUsers = (where: object) => t.em().count(User, where);
  const identitiesOf = (sub: string) => t.em().find(UserOAuthIdentity, { provider: 'google', providerUserId: sub });
  const exchange = (code: unknown, userAgent = 'jest-exchange') =>
    t.http.post('/api/v1/auth/google/exchange').set('User-Agent', userAgent).send({ code });

  afterEach(async () => {
    await provider.reset();
  });

  // Declared after the app, so run after it closed (Jest runs hooks in declaration order).
  afterAll(async () => {
    await provider?.stop();
  });

  /** The binding cookie each flow's browser holds, by the callback URL it is sent back to. */
  const browsers = new Map<string, string>();
  /** The browser following the provider's redirect back: our callback, with that browser's cookie. */
  const returnTo = (callback: string) => {
    const cookie = browsers.get(callback);
    return cookie ? t.http.get(callback).set('Cookie', cookie) : t.http.get(callback);
  };

  /** GET /auth/google, then the provider's consent page over real HTTP: answers the callback URL it sends the browser to. */
  async function consent(query: Record<string, string> = {}): Promise<string> {
    const start = await t.http.get('/api/v1/auth/google').query(query).expect(302);
    const cookie = String(start.headers['set-cookie']).split(';')[0];
    const authorize = new URL(start.headers.location);
    const back = await request(provider.url).get(`${authorize.pathname}${authorize.search}`).redirects(0).expect(302);
    const callback = new URL(back.headers.location);
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK_URL);
    browsers.set(`${callback.pathname}${callback.search}`, cookie);
    return `${callback.pathname}${callback.search}`;
  }

  /** The whole flow for this Google account; answers our callback's response. */
  async function signInWithGoogle(claims: UserinfoClaims, query: Record<string, string> = {}): Promise<Response> {
    await provider.nextUserinfo(claims);
    await provider.nextIdTokenClaims({ sub: claims.sub, email: claims.email });
    return returnTo(await consent(query)).set('User-Agent', 'jest-google');
  }

  describe('GET /auth/google', () => {
    it("redirects to the provider's consent page with state and an S256 PKCE challenge", async () => {
      const res = await t.http.get('/api/v1/auth/google').set('x-request-id', 'google-start-1').expect(302);
      const location = new URL(res.headers.location);
      expect(`${location.origin}${location.pathname}`).toBe(`${provider.url}/authorize`);
      expect(Object.fromEntries(location.searchParams)).toEqual({
        response_type: 'code',
        client_id: 'test-client-id',
        redirect_uri: CALLBACK_URL,
        scope: 'openid email profile',
        state: expect.stringMatching(B64URL_256_BITS),
        code_challenge: expect.stringMatching(B64URL_256_BITS),
        code_challenge_method: 'S256',
      });
      expect(res.headers['x-request-id']).toBe('google-start-1');

      const again = new URL((await t.http.get('/api/v1/auth/google').expect(302)).headers.location);
      expect(again.searchParams.get('state')).not.toBe(location.searchParams.get('state'));
      expect(again.searchParams.get('code_challenge')).not.toBe(location.searchParams.get('code_challenge'));
    });

    it.each([
      ['another host', 'https://evil.test/auth/done'],
      ['a look-alike host', 'https://app.example.com.evil.test/auth/done'],
      ['credentials before another host', 'https://app.example.com@evil.test/auth/done'],
      ['another scheme', 'http://app.example.com/auth/done'],
      ['another port', 'https://app.example.com:8443/auth/done'],
      ['a path beside the prefix', 'https://app.example.com/auth/done-evil'],
      ['dot segments leaving the prefix', 'https://app.example.com/auth/done/../../admin'],
      ['not a URL', 'app.example.com/auth/done'],
    ])('refuses a redirect_uri with %s: 422 validation_failed', async (_why, redirectUri) => {
      const res = await t.http.get('/api/v1/auth/google').query({ redirect_uri: redirectUri });
      expectProblem(res, 422, 'validation_failed');
      expect(res.headers.location).toBeUndefined();
    });
  });

  describe('a new Google account', () => {
    it('gets a new account and the token pair; the access token works', async () => {
      const claims = googleAccount({ email: `Jane.Doe.${randomBytes(3).toString('hex')}@GMail.test`, name: 'Jane Doe' });
      const res = await signInWithGoogle(claims);

      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(keysOf(res.body)).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
      expect(res.body.token_type).toBe('Bearer');
      expect(keysOf(res.body.user)).toEqual(OWN_USER_KEYS);
      expect(res.body.user).toMatchObject({
        username: expect.stringMatching(/^Jane_Doe(\d{4})?$/),
        email: claims.email!.toLowerCase(),
        display_name: 'Jane Doe',
        verified: false,
        role: 'user',
      });

      const me = await t.http.get('/api/v1/me').set('Authorization', bearer(res.body.access_token)).expect(200);
      expect(me.body.id).toBe(res.body.user.id);

      const user = await t.em().findOneOrFail(User, { id: res.body.user.id }, { populate: ['passwordHash'] });
      expect(user.passwordHash).toBeNull();
      const [identity] = await identitiesOf(claims.sub);
      expect(identity.user.id).toBe(user.id);
      expect(identity.email).toBe(claims.email!.toLowerCase());
    });

    it("takes Google's email_verified for the new account", async () => {
      const verified = await signInWithGoogle(googleAccount({ email_verified: true }));
      expect(verified.body.user.email_verified).toBe(true);
      const unverified = await signInWithGoogle(googleAccount({ email_verified: false }));
      expect(unverified.status).toBe(200);
      expect(unverified.body.user.email_verified).toBe(false);
    });

    it('signs the same Google account in again: same user, no second account or identity', async () => {
      const claims = googleAccount();
      const first = await signInWithGoogle(claims);
      const second = await signInWithGoogle(claims);

      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.body.user.id).toBe(first.body.user.id);
      expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
      expect(await countUsers({ email: claims.email })).toBe(1);
      expect(await identitiesOf(claims.sub)).toHaveLength(1);
    });

    it('gets a free username when the derived one is taken (case-insensitively)', async () => {
      const taken = await createUser(t, { username: uniqueUsername('Sam').toLowerCase() });
      const res = await signInWithGoogle(googleAccount({ name: taken.username.toUpperCase() }));

      expect(res.status).toBe(200);
      expect(res.body.user.username.toLowerCase()).not.toBe(taken.username.toLowerCase());
      expect(res.body.user.username).toMatch(new RegExp(`^${taken.username.toUpperCase().slice(0, 26)}\\d{4}$`));
    });

    it('gets exactly one account when its first two sign-ins race', async () => {
      const claims = googleAccount();
      const callbacks = [await consent(), await consent()];
      await provider.nextUserinfo(claims);
      await provider.nextUserinfo(claims);
      const [a, b] = await Promise.all(callbacks.map((callback) => returnTo(callback)));

      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.body.user.id).toBe(a.body.user.id);
      expect(await countUsers({ email: claims.email })).toBe(1);
      expect(await identitiesOf(claims.sub)).toHaveLength(1);
    });

    it('refuses a suspended account: 403 forbidden', async () => {
      const claims = googleAccount();
      const first = await signInWithGoogle(claims);
      await t.em().nativeUpdate(User, { id: first.body.user.id }, { suspendedAt: new Date() });

      expectProblem(await signInWithGoogle(claims), 403, 'forbidden');
    });
  });

  describe('an existing password account with the same email', () => {
    it('is linked when Google verified the email and the account verified it too', async () => {
      const account = await createUser(t, { emailVerified: true });
      const claims = googleAccount({ email: account.email.toUpperCase(), email_verified: true });
      const res = await signInWithGoogle(claims);

      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(account.id);
      expect(res.body.user.username).toBe(account.username);
      const [identity] = await identitiesOf(claims.sub);
      expect(identity.user.id).toBe(account.id);
      expect(await countUsers({ email: account.email })).toBe(1);
      // The password keeps working.
      await t.http.post('/api/v1/auth/login').send({ login: account.username, password: PASSWORD }).expect(200);

      const again = await signInWithGoogle(claims);
      expect(again.body.user.id).toBe(account.id);
    });

    it('is not linked when the account never verified its email (account pre-hijacking): 409, and the victim gets in once it is theirs', async () => {
      // The attacker registers the victim's address first and keeps the password.
      const attacker = await t.http
        .post('/api/v1/auth/register')
        .send({ username: uniqueUsername('pre'), email: `victim.${randomBytes(4).toString('hex')}@gmail.test`, password: PASSWORD })
        .expect(201);
      expect(attacker.body.user.email_verified).toBe(false);
      const claims = googleAccount({ email: attacker.body.user.email, email_verified: true });

      const res = await signInWithGoogle(claims);
      expectProblem(res, 409, 'conflict');
      expect(res.body.errors).toEqual([{ field: 'email', message: expect.stringMatching(/not verified/) }]);
      expect(res.body.access_token).toBeUndefined();
      expect(await identitiesOf(claims.sub)).toHaveLength(0);
      // The attacker's session never reaches anything of the victim's Google sign-in.
      await t.http.get('/api/v1/me').set('Authorization', bearer(attacker.body.access_token)).expect(200);

      // Once the address is verified (by whoever reads its mail: the victim), Google links to it.
      await t.em().nativeUpdate(User, { id: attacker.body.user.id }, { emailVerified: true });
      const linked = await signInWithGoogle(claims);
      expect(linked.status).toBe(200);
      expect(linked.body.user.id).toBe(attacker.body.user.id);
    });

    it.each([
      ['false', false],
      ['absent', undefined],
      ['the string "true"', 'true'],
    ])('is neither linked nor taken over when email_verified is %s: 409 conflict', async (_label, emailVerified) => {
      const account = await createUser(t);
      const claims = googleAccount({ email: account.email, email_verified: emailVerified as boolean | undefined });
      const res = await signInWithGoogle(claims);

      expectProblem(res, 409, 'conflict');
      expect(res.body.access_token).toBeUndefined();
      expect(await identitiesOf(claims.sub)).toHaveLength(0);
      expect(await countUsers({ email: account.email })).toBe(1);
      const user = await t.em().findOneOrFail(User, { id: account.id }, { populate: ['passwordHash'] });
      expect(user.passwordHash).toEqual(expect.any(String));
      await t.http.post('/api/v1/auth/login').send({ login: account.email, password: PASSWORD }).expect(200);
    });
  });

  describe('the redirect_uri flow (apps)', () => {
    it('redirects with a one-time code that POST /auth/google/exchange turns into the token pair, once', async () => {
      const claims = googleAccount();
      const res = await signInWithGoogle(claims, { redirect_uri: `${APP_REDIRECT}/ios?from=menu` });

      expect(res.status).toBe(302);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.access_token).toBeUndefined();
      const target = new URL(res.headers.location);
      expect(`${target.origin}${target.pathname}`).toBe(`${APP_REDIRECT}/ios`);
      expect(target.searchParams.get('from')).toBe('menu');
      const code = target.searchParams.get('code');
      expect(code).toMatch(B64URL_256_BITS);

      const pair = await exchange(code, 'X18 iOS/1.0').expect(200);
      expect(keysOf(pair.body)).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
      expect(pair.body.user.email).toBe(claims.email);
      const sessions = await t.http.get('/api/v1/auth/sessions').set('Authorization', bearer(pair.body.access_token)).expect(200);
      expect(sessions.body.data).toEqual([expect.objectContaining({ current: true, user_agent: 'X18 iOS/1.0' })]);

      expectProblem(await exchange(code), 401, 'unauthorized');
    });

    it('works with an allowed custom-scheme redirect_uri', async () => {
      const res = await signInWithGoogle(googleAccount(), { redirect_uri: `${NATIVE_REDIRECT}callback` });

      expect(res.status).toBe(302);
      expect(res.headers.location).toMatch(/^x18app:\/\/signin\/callback\?code=[A-Za-z0-9_-]{43}$/);
    });

    it('refuses an unknown code: 401 unauthorized', async () => {
      expectProblem(await exchange(randomBytes(32).toString('base64url')), 401, 'unauthorized');
      expectProblem(await exchange('short'), 401, 'unauthorized');
    });

    it('refuses a malformed body: 400 validation_failed', async () => {
      expectProblem(await exchange(42), 400, 'validation_failed');
      const extra = await t.http.post('/api/v1/auth/google/exchange').send({ code: 'x', user_id: 'someone' });
      expectProblem(extra, 400, 'validation_failed');
    });
  });

  describe('state', () => {
    it('works once: a replayed callback is 401 unauthorized', async () => {
      await provider.nextUserinfo(googleAccount());
      const callback = await consent();
      await returnTo(callback).expect(200);

      expectProblem(await returnTo(callback), 401, 'unauthorized');
    });

    it('refuses a forged, missing or malformed state: 401 unauthorized', async () => {
      const callback = new URL(await consent(), 'http://x');
      const code = callback.searchParams.get('code')!;
      const forged = randomBytes(32).toString('base64url');

      for (const query of [{ code, state: forged }, { code }, { code, state: 'x' }, { state: callback.searchParams.get('state')! }]) {
        const res = await t.http.get('/api/v1/auth/google/callback').query(query);
        expectProblem(res, 401, 'unauthorized');
      }
    });

    it('answers 401 unauthorized when the user cancels at Google', async () => {
      await provider.nextAuthorizeError('access_denied');
      const callback = await consent();
      expect(callback).toContain('error=access_denied');

      expectProblem(await returnTo(callback), 401, 'unauthorized');
    });
  });

  describe('provider failures', () => {
    it('answers 401 unauthorized when Google rejects the authorization code', async () => {
      await provider.nextTokenError(400, 'invalid_grant');
      expectProblem(await returnTo(await consent()), 401, 'unauthorized');
    });

    it('answers 502 bad_gateway when Google fails to answer', async () => {
      await provider.nextTokenError(500, 'server_error');
      expectProblem(await returnTo(await consent()), 502, 'bad_gateway');

      await provider.nextUserinfoError(503);
      expectProblem(await returnTo(await consent()), 502, 'bad_gateway');
    });

    it('answers 502 bad_gateway when the userinfo has no subject', async () => {
      await provider.nextUserinfo({ sub: '', email: 'nobody@gmail.test' });
      expectProblem(await returnTo(await consent()), 502, 'bad_gateway');
    });
  });

  describe("the provider's tokens", () => {
    it('are stored encrypted, and decrypt to what the provider issued', async () => {
      const claims = googleAccount();
      const before = (await provider.issued()).length;
      expect((await signInWithGoogle(claims)).status).toBe(200);
      const issued = await provider.issued();
      expect(issued).toHaveLength(before + 1);
      const { access_token: accessToken, refresh_token: refreshToken } = issued[issued.length - 1];

      const [row] = await t
        .em()
        .execute<{ access_token: string; refresh_token: string; expires_at: Date }[]>(
          'select access_token, refresh_token, expires_at from user_oauth_identities where provider = ? and provider_user_id = ?',
          ['google', claims.sub],
        );
      expect(row.access_token).toMatch(/^v1:/);
      expect(row.refresh_token).toMatch(/^v1:/);
      for (const token of [accessToken, refreshToken!]) {
        expect(row.access_token).not.toContain(token);
        expect(row.refresh_token).not.toContain(token);
      }
      expect(decrypt(row.access_token, t.config.auth.encryptionKey)).toBe(accessToken);
      expect(decrypt(row.refresh_token, t.config.auth.encryptionKey)).toBe(refreshToken);
      expect(new Date(row.expires_at).getTime()).toBeGreaterThan(Date.now() + 3000 * 1000);
    });

    it('reach the userinfo endpoint in the Authorization header, not the URL', async () => {
      expect((await signInWithGoogle(googleAccount())).status).toBe(200);
      const issued = await provider.issued();
      const authorizations = await provider.userinfoAuthorizations();
      expect(authorizations[authorizations.length - 1]).toBe(`Bearer ${issued[issued.length - 1].access_token}`);
    });
  });
});

describe('Google sign-in, not configured', () => {
  const t = useTestApp({ redisScope: 'google-off' });

  it('answers 503 service_unavailable on the sign-in routes', async () => {
    expectProblem(await t.http.get('/api/v1/auth/google'), 503, 'service_unavailable');
    const state = randomBytes(32).toString('base64url');
    expectProblem(await t.http.get('/api/v1/auth/google/callback').query({ code: 'x', state }), 503, 'service_unavailable');
  });
});

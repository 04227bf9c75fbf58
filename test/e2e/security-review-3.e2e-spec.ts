import { createHash, randomBytes } from 'node:crypto';
import request, { Response } from 'supertest';
import { expectProblem } from '../factories/http';
import { bearer, createUser, PASSWORD, registration, uniqueUsername } from '../factories/users';
import { useTestApp } from '../support/app';
import { OAuthProvider, UserinfoClaims } from '../support/oauth-provider';
import { ReceivedMail, TestSmtpServer } from '../support/smtp-server';
import { waitFor } from '../support/wait';

const APP_URL = 'https://app.example.test';
const CALLBACK = 'http://localhost:3000/api/v1/auth/google/callback';
const APP_REDIRECT = 'https://app.example.com/auth/done';
const NEW_PASSWORD = 'a-brand-new-password-42';

/**
 * Issue 23's account and sign-in findings (N1, N2, N3, N11, N13, N14), one case each, each written to fail on the
 * code before its fix. The other findings of that review are in their own suites.
 */
describe('Security review 3 (issue 23): accounts and sign-in', () => {
  let smtp: TestSmtpServer;
  let provider: OAuthProvider;
  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    provider = await OAuthProvider.start();
  });
  const t = useTestApp({
    redisScope: 'review-3-accounts',
    env: () => ({
      SMTP_URL: smtp.url,
      APP_URL,
      ...provider.env(CALLBACK),
      OAUTH_REDIRECT_ALLOWLIST: APP_REDIRECT,
      // X-Forwarded-For from the test client (loopback) names the client's address.
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_LOGIN_ACCOUNT: '4/1m',
      RATE_LIMIT_LOGIN_IP: '1000/1m',
      RATE_LIMIT_EMAIL: '100/1h',
      RATE_LIMIT_PASSWORD_RESET: '100/1h',
    }),
  });
  afterEach(async () => {
    await provider.reset();
  });
  // Declared after the app, so run after it closed (Jest runs hooks in declaration order).
  afterAll(async () => {
    await provider?.stop();
    await smtp?.stop().catch(() => undefined);
  });

  const api = (path: string) => `/api/v1${path}`;
  const mailbox = () => `${uniqueUsername('box')}@mail.example.test`.toLowerCase();
  /** Each call a client address of its own (TEST-NET-3), so the per-IP budget never gets in the way. */
  let lastOctets = 0;
  const freshIp = () => `203.0.113.${(lastOctets++ % 250) + 1}`;

  const login = (name: string, password: string, ip = freshIp(), userAgent = 'jest-login') =>
    t.http.post(api('/auth/login')).set('X-Forwarded-For', ip).set('User-Agent', userAgent).send({ login: name, password });
  const forgot = (email: string) => t.http.post(api('/auth/password/forgot')).set('X-Forwarded-For', freshIp()).send({ email });
  const reset = (token: string | undefined, password = NEW_PASSWORD) =>
    t.http.post(api('/auth/password/reset')).set('X-Forwarded-For', freshIp()).send({ token, new_password: password });
  const verify = (token: string | undefined) => t.http.post(api('/auth/email/verify')).set('X-Forwarded-For', freshIp()).send({ token });
  const changeEmail = (accessToken: string, newEmail: string, password = PASSWORD) =>
    t.http.post(api('/me/email')).set('Authorization', bearer(accessToken)).send({ new_email: newEmail, current_password: password });
  const changePassword = (accessToken: string, current: string, ip = freshIp()) =>
    t.http
      .post(api('/auth/password'))
      .set('Authorization', bearer(accessToken))
      .set('X-Forwarded-For', ip)
      .send({ current_password: current, new_password: NEW_PASSWORD });
  const deleteMe = (accessToken: string, current: string, ip = freshIp()) =>
    t.http.delete(api('/me')).set('Authorization', bearer(accessToken)).set('X-Forwarded-For', ip).send({ current_password: current });

  const CONFIRM = /^Confirm your email address$/;
  const RESET = /^Reset your password$/;
  const NOTICE = /^Your email address is being changed$/;

  /**
   * Does `send`, then waits for the mail of that kind to `address` it causes. By subject: mails of one request arrive
   * in any order (a change mails the new address and the old one, each its own job).
   */
  async function mailAfter(address: string, subject: RegExp, send: () => Promise<unknown>): Promise<ReceivedMail> {
    const matching = () => smtp.to(address).filter((mail) => subject.test(mail.subject));
    const before = matching().length;
    await send();
    const mails = await waitFor(async () => matching(), (found) => found.length > before, 15_000);
    if (mails.length <= before) throw new Error(`no "${subject.source}" mail to ${address}`);
    return mails[before];
  }

  /** Registers through the API (as an attacker would); answers the token pair's body and the verification mail. */
  async function register(overrides: Record<string, unknown> = {}): Promise<{ body: Record<string, unknown>; res: Response; mail: ReceivedMail }> {
    const body = registration(overrides);
    let res!: Response;
    const mail = await mailAfter(String(body.email), CONFIRM, async () => {
      res = await t.http.post(api('/auth/register')).set('X-Forwarded-For', freshIp()).send(body).expect(201);
    });
    return { body, res, mail };
  }

  /** Asks for a reset link for `email` and answers the mail that carries it. */
  const resetMail = (email: string) => mailAfter(email, RESET, () => forgot(email).expect(202));

  /** The signed-in user asks for a fresh verification link; answers its mail. */
  const verificationMail = (email: string, accessToken: string) =>
    mailAfter(email, CONFIRM, () => t.http.post(api('/auth/email/resend')).set('Authorization', bearer(accessToken)).expect(202));

  /** `POST /me/email`, and the change token mailed to the new address. */
  async function changeToken(accessToken: string, newEmail: string): Promise<string> {
    return (await mailAfter(newEmail, CONFIRM, () => changeEmail(accessToken, newEmail).expect(202))).token!;
  }

  /** Signs in with this Google account in a browser (start, consent, callback with the binding cookie). */
  async function signInWithGoogle(claims: UserinfoClaims, query: Record<string, string> = {}): Promise<Response> {
    await provider.nextUserinfo(claims);
    await provider.nextIdTokenClaims({ sub: claims.sub, email: claims.email });
    const start = await t.http.get(api('/auth/google')).query(query).expect(302);
    const cookie = String(start.headers['set-cookie']).split(';')[0];
    const authorize = new URL(start.headers.location);
    const back = await request(provider.url).get(`${authorize.pathname}${authorize.search}`).redirects(0).expect(302);
    const callback = new URL(back.headers.location);
    return t.http.get(`${callback.pathname}${callback.search}`).set('Cookie', cookie);
  }

  const googleAccount = (email: string): UserinfoClaims => ({ sub: `g-${randomBytes(6).toString('hex')}`, email, email_verified: true, name: 'Google Name' });

  describe('N1: a change of who controls the account voids every other outstanding account token', () => {
    it('the whole chain: a pending email change kept by whoever registered the address dies with the victim taking the account back', async () => {
      const victimEmail = mailbox();
      const attackerEmail = mailbox();
      // The attacker registers the victim's address (unverified) and asks for the address to become theirs.
      const { body, res: attacker } = await register({ email: victimEmail, display_name: 'Attacker' });
      const username = String(body.username);
      const kept = await changeToken(attacker.body.access_token, attackerEmail);

      // The victim resets the password through their mailbox (the attacker's sessions die)…
      await reset((await resetMail(victimEmail)).token).expect(204);
      await t.http.get(api('/me')).set('Authorization', bearer(attacker.body.access_token)).expect(401);
      // …signs in, verifies the address…
      const victim = await login(username, NEW_PASSWORD).expect(200);
      await verify((await verificationMail(victimEmail, victim.body.access_token)).token).expect(200);
      // …and links Google (both sides verified the address).
      const google = googleAccount(victimEmail);
      const linked = await signInWithGoogle(google);
      expect({ status: linked.status, id: linked.body.user?.id }).toEqual({ status: 200, id: attacker.body.user.id });

      // The attacker's kept token no longer moves the address to them.
      expectProblem(await verify(kept), 400, 'invalid_token');
      const me = await t.http.get(api('/me')).set('Authorization', bearer(victim.body.access_token)).expect(200);
      expect(me.body).toMatchObject({ email: victimEmail, email_verified: true });
      // So a reset through the attacker's mailbox reaches nobody, and the victim's Google sign-in is still the victim's.
      await forgot(attackerEmail).expect(202);
      const again = await signInWithGoogle(google);
      expect(again.status).toBe(200);
      expect(again.body.user).toMatchObject({ id: attacker.body.user.id, email: victimEmail });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(smtp.to(attackerEmail).filter((mail) => RESET.test(mail.subject))).toHaveLength(0);
    });

    it('a password reset voids a pending email change', async () => {
      const { body, res } = await register();
      const kept = await changeToken(res.body.access_token, mailbox());
      await reset((await resetMail(String(body.email))).token).expect(204);
      expectProblem(await verify(kept), 400, 'invalid_token');
    });

    it('verifying the address voids a pending email change', async () => {
      const { mail, res } = await register();
      const kept = await changeToken(res.body.access_token, mailbox());
      await verify(mail.token).expect(200);
      expectProblem(await verify(kept), 400, 'invalid_token');
    });

    it('linking Google voids a pending email change and a reset link', async () => {
      const { body, mail, res } = await register();
      const email = String(body.email);
      await verify(mail.token).expect(200);
      const kept = await changeToken(res.body.access_token, mailbox());
      const resetLink = (await resetMail(email)).token;
      const linked = await signInWithGoogle(googleAccount(email));
      expect({ status: linked.status, id: linked.body.user?.id }).toEqual({ status: 200, id: res.body.user.id });
      expectProblem(await verify(kept), 400, 'invalid_token');
      expectProblem(await reset(resetLink), 400, 'invalid_token');
    });

    it('a password change voids a pending email change', async () => {
      const { res } = await register();
      const kept = await changeToken(res.body.access_token, mailbox());
      await changePassword(res.body.access_token, PASSWORD).expect(204);
      expectProblem(await verify(kept), 400, 'invalid_token');
    });
  });

  describe('N2: a reset link mailed before a change of control stops working', () => {
    it('after the email change is confirmed (the link went to the old address)', async () => {
      const user = await createUser(t, { email: mailbox(), emailVerified: true });
      const signedIn = await login(user.username, PASSWORD).expect(200);
      const oldLink = (await resetMail(user.email)).token;
      await verify(await changeToken(signedIn.body.access_token, mailbox())).expect(200);
      expectProblem(await reset(oldLink), 400, 'invalid_token');
      await login(user.username, PASSWORD).expect(200);
    });

    it('after POST /auth/password', async () => {
      const user = await createUser(t, { email: mailbox(), emailVerified: true });
      const signedIn = await login(user.username, PASSWORD).expect(200);
      const link = (await resetMail(user.email)).token;
      await changePassword(signedIn.body.access_token, PASSWORD).expect(204);
      expectProblem(await reset(link, 'the-thief-wants-this-one'), 400, 'invalid_token');
      await login(user.username, NEW_PASSWORD).expect(200);
    });
  });

  describe('N3: a wrong current_password spends the per-account login budget', () => {
    it('POST /auth/password: four wrong guesses with a stolen session, then 429, and /auth/login waits too', async () => {
      const user = await createUser(t);
      const stolen = await login(user.username, PASSWORD).expect(200);
      // The budget is 4 per account (RATE_LIMIT_LOGIN_ACCOUNT); the successful sign-in spent one.
      for (let i = 0; i < 3; i++) expectProblem(await changePassword(stolen.body.access_token, `guess-number-${i}`), 422, 'validation_failed');
      const limited = await changePassword(stolen.body.access_token, PASSWORD);
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expectProblem(await login(user.username, PASSWORD), 429, 'rate_limited');
    });

    it('POST /auth/password and DELETE /me answer 429 while /auth/login for the account does', async () => {
      const user = await createUser(t);
      const stolen = await login(user.username, PASSWORD).expect(200);
      for (let i = 0; i < 4; i++) await login(user.email, `wrong-password-${i}`);
      expectProblem(await login(user.username, PASSWORD), 429, 'rate_limited');
      expectProblem(await changePassword(stolen.body.access_token, 'one-more-guess'), 429, 'rate_limited');
      expectProblem(await deleteMe(stolen.body.access_token, 'one-more-guess'), 429, 'rate_limited');
      // Neither route checked a password: the account is still there, with its password.
      await t.http.get(api('/me')).set('Authorization', bearer(stolen.body.access_token)).expect(200);
    });
  });

  describe('N11: mail to an address not yet verified carries no user-chosen text', () => {
    const LURE = 'URGENT account locked visit https://evil.test/login';
    const expectNone = (mail: ReceivedMail, ...texts: string[]) => {
      for (const text of texts) {
        expect(mail.subject).not.toContain(text);
        expect(mail.text).not.toContain(text);
        expect(mail.html).not.toContain(text);
      }
    };

    it('the verification mail of a registration, the reset mail and the email-change notice to that address', async () => {
      const victimEmail = mailbox();
      const { body, res, mail } = await register({ email: victimEmail, display_name: LURE, username: `URGENT_${randomBytes(4).toString('hex')}` });
      const username = String(body.username);
      expectNone(mail, LURE, 'evil.test', username);
      expectNone(await resetMail(victimEmail), LURE, 'evil.test', username);
      const lureAddress = `urgent-login-at.evil.test.${randomBytes(3).toString('hex')}@example.test`;
      const notice = await mailAfter(victimEmail, NOTICE, () => changeEmail(res.body.access_token, lureAddress).expect(202));
      expectNone(notice, LURE, 'evil.test', username, lureAddress);
      // The verification mail to the new address carries none either (the address itself aside: it is the recipient).
      expectNone(await smtp.next(lureAddress, 1), LURE, username);
    });

    it('a verified address still gets the name it knows', async () => {
      const user = await createUser(t, { email: mailbox(), emailVerified: true, displayName: 'Ada Lovelace' });
      const mail = await resetMail(user.email);
      expect(mail.text).toContain('Ada Lovelace');
      expect(mail.text).toContain(`@${user.username}`);
    });
  });

  describe('N13: failed sign-ins by others do not lock the owner out of a device and address that signed in before', () => {
    it('the known address and device passes; an unknown one (or the same address with another device) waits', async () => {
      const admin = await createUser(t, { role: 'admin' });
      const home = { ip: '198.51.100.77', userAgent: 'OwnerBrowser/1.0' };
      await login(admin.username, PASSWORD, home.ip, home.userAgent).expect(200);
      // Guesses from elsewhere spend the account's budget (4 in this suite, 20 by default; the sign-in spent one)…
      for (let i = 0; i < 3; i++) expectProblem(await login(admin.username, `guess-${i}`), 401, 'unauthorized');
      expectProblem(await login(admin.username, PASSWORD), 429, 'rate_limited');
      expectProblem(await login(admin.username, PASSWORD, home.ip, 'AttackerTool/2.0'), 429, 'rate_limited');
      // …but not the budget of the address and device the owner signed in from.
      const owner = await login(admin.email, PASSWORD, home.ip, home.userAgent).expect(200);
      expect(owner.body.user.role).toBe('admin');
    });

    it('the known device keeps a budget of its own: guesses from it are limited too', async () => {
      const user = await createUser(t);
      const home = { ip: '198.51.100.78', userAgent: 'OwnerBrowser/1.0' };
      await login(user.username, PASSWORD, home.ip, home.userAgent).expect(200);
      for (let i = 0; i < 4; i++) expectProblem(await login(user.username, `guess-${i}`, home.ip, home.userAgent), 401, 'unauthorized');
      expectProblem(await login(user.username, PASSWORD, home.ip, home.userAgent), 429, 'rate_limited');
    });

    it('a password reset forgets the known devices: whoever knew the old password may have signed in from one', async () => {
      const user = await createUser(t, { email: mailbox(), emailVerified: true });
      const home = { ip: '198.51.100.79', userAgent: 'SharedLaptop/1.0' };
      await login(user.username, PASSWORD, home.ip, home.userAgent).expect(200);
      await reset((await resetMail(user.email)).token).expect(204);
      for (let i = 0; i < 3; i++) expectProblem(await login(user.username, `guess-${i}`), 401, 'unauthorized');
      expectProblem(await login(user.username, NEW_PASSWORD, home.ip, home.userAgent), 429, 'rate_limited');
    });
  });

  describe('N14: a malformed PKCE code_verifier is a 401 that spends the one-time code', () => {
    it.each([
      ['too short', 'short'],
      ['outside the alphabet', `${'a'.repeat(42)}!`],
      ['too long', 'a'.repeat(129)],
    ])('%s', async (_why, malformed) => {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const callback = await signInWithGoogle(googleAccount(mailbox()), { redirect_uri: APP_REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' });
      expect(callback.status).toBe(302);
      const code = new URL(callback.headers.location).searchParams.get('code')!;
      const exchange = (codeVerifier: string) => t.http.post(api('/auth/google/exchange')).send({ code, code_verifier: codeVerifier });
      expectProblem(await exchange(malformed), 401, 'unauthorized');
      expectProblem(await exchange(verifier), 401, 'unauthorized');
    });
  });
});

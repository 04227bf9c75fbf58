import { AccountToken } from '@/modules/accounts/entities/account-token.entity';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem, problemShape } from '../factories/http';
import { bearer, createSignedInUser, createUser, emailFor, PASSWORD, registration, signIn, uniqueUsername } from '../factories/users';
import { useTestApp, withTestApp } from '../support/app';
import { TestSmtpServer } from '../support/smtp-server';

const APP_URL = 'https://app.example.test';
const MAIL_FROM = 'X18 Test <no-reply@x18.example.test>';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

describe('Email and the account lifecycle: mail, verification, reset, email change', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
  });
  const t = useTestApp({ redisScope: 'accounts-email', env: () => ({ SMTP_URL: smtp.url, MAIL_FROM, APP_URL }) });
  // Declared after the app, so run after it closed (Jest runs hooks in declaration order).
  afterAll(async () => {
    await smtp?.stop().catch(() => undefined);
  });

  const api = (path: string) => `/api/v1${path}`;
  const me = (token: string) => t.http.get(api('/me')).set('Authorization', bearer(token));
  const verify = (token: unknown) => t.http.post(api('/auth/email/verify')).send({ token });
  const forgot = (email: string) => t.http.post(api('/auth/password/forgot')).send({ email });
  const reset = (token: unknown, password: string) => t.http.post(api('/auth/password/reset')).send({ token, new_password: password });
  const login = (loginName: string, password: string) => t.http.post(api('/auth/login')).send({ login: loginName, password });

  /** Registers through the API and answers the body plus the verification mail. */
  async function register(overrides: Record<string, unknown> = {}) {
    const body = registration(overrides);
    const before = smtp.to(String(body.email)).length;
    const res = await t.http.post(api('/auth/register')).send(body).expect(201);
    const mail = await smtp.next(String(body.email), before + 1);
    return { body, res, mail };
  }

  describe('POST /auth/register, POST /auth/email/verify', () => {
    it('mails a verification link (text and HTML, From MAIL_FROM); the link verifies the address once', async () => {
      const { body, res, mail } = await register();
      expect(res.body.user.email_verified).toBe(false);
      expect(mail.from).toBe(MAIL_FROM.replace(/^X18 Test <(.*)>$/, '"X18 Test" <$1>'));
      expect(mail.subject).toMatch(/confirm/i);
      expect(mail.link).toMatch(new RegExp(`^${APP_URL}/verify-email\\?token=[A-Za-z0-9_-]{43}$`));
      expect(mail.token).toMatch(TOKEN);
      expect(mail.html).toContain(`href="${mail.link}"`);
      expect(mail.text).toContain(String(body.email));

      // Only a hash is stored.
      const stored = await t.em().find(AccountToken, { user: res.body.user.id });
      expect(stored.map((s) => s.tokenHash)).not.toContain(mail.token);
      expect(stored[0].tokenHash).toMatch(/^[0-9a-f]{64}$/);

      const verified = await verify(mail.token).expect(200);
      expect(verified.body).toMatchObject({ id: res.body.user.id, email: body.email, email_verified: true });
      expect((await me(res.body.access_token).expect(200)).body.email_verified).toBe(true);

      expectProblem(await verify(mail.token), 400, 'invalid_token');
    });

    it('answers invalid_token for an unknown, malformed or expired token', async () => {
      expectProblem(await verify('A'.repeat(43)), 400, 'invalid_token');
      expectProblem(await verify('not a token'), 400, 'invalid_token');
      const { mail } = await register();
      await t.em().nativeUpdate(AccountToken, { tokenHash: { $ne: '' }, usedAt: null, email: mail.to[0] }, { expiresAt: new Date(Date.now() - 1000) });
      expectProblem(await verify(mail.token), 400, 'invalid_token');
      expectProblem(await t.http.post(api('/auth/email/verify')).send({ token: mail.token, extra: 1 }), 400, 'validation_failed');
    });

    it('escapes user values in the HTML part and keeps them on one line in the text part', async () => {
      // Only mail to a verified address carries user-chosen text (issue 23, N11: security-review-3).
      const user = await createUser(t, { emailVerified: true, displayName: '<img src=x onerror=alert(1)>\r\nBcc: evil@example.test' });
      await forgot(user.email).expect(202);
      const mail = await smtp.next(user.email, 1);
      expect(mail.html).not.toContain('<img src=x');
      expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(mail.text).toContain('<img src=x onerror=alert(1)> Bcc: evil@example.test');
      expect(mail.to).toHaveLength(1);
      expect(smtp.to('evil@example.test')).toHaveLength(0);
    });
  });

  describe('POST /auth/email/resend', () => {
    it('sends a fresh link that voids the earlier one; 409 once verified', async () => {
      const { body, res, mail: first } = await register();
      const email = String(body.email);
      await t.http.post(api('/auth/email/resend')).set('Authorization', bearer(res.body.access_token)).expect(202);
      const second = await smtp.next(email, 2);
      expect(second.token).not.toBe(first.token);
      expectProblem(await verify(first.token), 400, 'invalid_token');
      await verify(second.token).expect(200);
      expectProblem(await t.http.post(api('/auth/email/resend')).set('Authorization', bearer(res.body.access_token)), 409, 'conflict');
    });

    it('is rate limited per user (5 per hour; the registration mail does not count) and needs a sign-in', async () => {
      const { res } = await register();
      const resend = () => t.http.post(api('/auth/email/resend')).set('Authorization', bearer(res.body.access_token));
      for (let i = 0; i < 5; i++) await resend().expect(202);
      const limited = await resend();
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expectProblem(await t.http.post(api('/auth/email/resend')), 401, 'unauthorized');
    });
  });

  describe('POST /auth/password/forgot, POST /auth/password/reset', () => {
    it('answers the same for a known and an unknown address, and mails only the known one', async () => {
      const user = await createUser(t);
      const unknown = emailFor(uniqueUsername('nobody'));
      const known = await forgot(user.email).expect(202);
      const missing = await forgot(unknown).expect(202);
      expect(missing.body).toEqual(known.body);
      expect(Object.keys(missing.headers).sort()).toEqual(Object.keys(known.headers).sort());

      const mail = await smtp.next(user.email, 1);
      expect(mail.link).toMatch(new RegExp(`^${APP_URL}/reset-password\\?token=[A-Za-z0-9_-]{43}$`));
      expect(mail.html).toContain(`href="${mail.link}"`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(smtp.to(unknown)).toHaveLength(0);
    });

    it('takes about the same time for a known and an unknown address (the lookup happens in the worker)', async () => {
      const user = await createUser(t);
      const time = async (email: string) => {
        const started = process.hrtime.bigint();
        await forgot(email).expect(202);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const knownTimes: number[] = [];
      const unknownTimes: number[] = [];
      for (let i = 0; i < 5; i++) {
        knownTimes.push(await time(user.email));
        unknownTimes.push(await time(emailFor(uniqueUsername("nobody"))));
      }
      const ratio = median(knownTimes) / median(unknownTimes);
      expect(ratio).toBeGreaterThan(1 / 3);
      expect(ratio).toBeLessThan(3);
    });

    it('resets the password once, revoking every session (access and refresh tokens) at once', async () => {
      const user = await createUser(t);
      const phone = await signIn(t, user, { userAgent: 'phone' });
      const laptop = await signIn(t, user, { userAgent: 'laptop' });
      await forgot(user.email).expect(202);
      const mail = await smtp.next(user.email, 1);

      expectProblem(await reset(mail.token, 'short'), 422, 'validation_failed');
      await reset(mail.token, 'a-brand-new-password').expect(204);

      for (const session of [phone, laptop]) {
        expectProblem(await me(session.accessToken), 401, 'unauthorized');
        expectProblem(await t.http.post(api('/auth/refresh')).send({ refresh_token: session.refreshToken }), 401, 'unauthorized');
      }
      expectProblem(await login(user.username, PASSWORD), 401, 'unauthorized');
      await login(user.username, 'a-brand-new-password').expect(200);
      expectProblem(await reset(mail.token, 'another-new-password'), 400, 'invalid_token');
      expectProblem(await reset('B'.repeat(43), 'another-new-password'), 400, 'invalid_token');
    });

    it('voids an older link when a newer one is sent, and expires links after an hour', async () => {
      const user = await createUser(t);
      await forgot(user.email).expect(202);
      const first = await smtp.next(user.email, 1);
      await forgot(user.email).expect(202);
      const second = await smtp.next(user.email, 2);
      expectProblem(await reset(first.token, 'a-brand-new-password'), 400, 'invalid_token');
      await t.em().nativeUpdate(AccountToken, { user: user.id, usedAt: null }, { expiresAt: new Date(Date.now() - 1000) });
      expectProblem(await reset(second.token, 'a-brand-new-password'), 400, 'invalid_token');
    });

    it('sets a first password for a Google-only account', async () => {
      const user = await createUser(t, { passwordHash: null });
      await forgot(user.email).expect(202);
      const mail = await smtp.next(user.email, 1);
      await reset(mail.token, 'my-first-password').expect(204);
      await login(user.email, 'my-first-password').expect(200);
    });

    it('is rate limited per address and per IP, with the same answer for unknown addresses', async () => {
      const email = emailFor(uniqueUsername('limited'));
      for (let i = 0; i < 5; i++) await forgot(` ${email.toUpperCase()} `).expect(202);
      expectProblem(await forgot(email), 429, 'rate_limited');

      await withTestApp({ redisScope: 'accounts-ip', env: { SMTP_URL: smtp.url, APP_ROLE: 'api', RATE_LIMIT_LOGIN_IP: '3/5m' } }, async (perIp) => {
        for (let i = 0; i < 3; i++) await perIp.http.post(api('/auth/password/forgot')).send({ email: emailFor(uniqueUsername('ip')) }).expect(202);
        const limited = await perIp.http.post(api('/auth/password/forgot')).send({ email: emailFor(uniqueUsername('ip')) });
        expectProblem(limited, 429, 'rate_limited');
        expect(problemShape(limited)).toMatchObject({ code: 'rate_limited' });
      });
    });
  });

  describe('POST /me/email', () => {
    it('mails the new address a link and the old one a notice; the address changes only when verified', async () => {
      const user = await createSignedInUser(t, { emailVerified: true });
      const newEmail = emailFor(uniqueUsername('moved'));
      const change = (body: object) => t.http.post(api('/me/email')).set('Authorization', bearer(user.accessToken)).send(body);

      expectProblem(await change({ new_email: newEmail, current_password: 'wrong-password!' }), 422, 'validation_failed');
      const taken = await createUser(t);
      expectProblem(await change({ new_email: taken.email, current_password: PASSWORD }), 409, 'conflict');
      expectProblem(await change({ new_email: 'not-an-email', current_password: PASSWORD }), 400, 'validation_failed');

      await change({ new_email: ` ${newEmail.toUpperCase()} `, current_password: PASSWORD }).expect(202);
      const link = await smtp.next(newEmail, 1);
      const notice = await smtp.next(user.email, 1);
      expect(notice.text).toContain(newEmail);
      expect(notice.link).toBeUndefined();
      expect((await me(user.accessToken)).body).toMatchObject({ email: user.email, email_verified: true });

      const verified = await verify(link.token).expect(200);
      expect(verified.body).toMatchObject({ id: user.id, email: newEmail, email_verified: true });
      expect((await me(user.accessToken)).body.email).toBe(newEmail);
      await login(newEmail, PASSWORD).expect(200);
    });

    it('answers 409 at verification when someone took the new address meanwhile', async () => {
      const user = await createSignedInUser(t);
      const newEmail = emailFor(uniqueUsername('race'));
      await t.http.post(api('/me/email')).set('Authorization', bearer(user.accessToken)).send({ new_email: newEmail, current_password: PASSWORD }).expect(202);
      const link = await smtp.next(newEmail, 1);
      await createUser(t, { email: newEmail });
      expectProblem(await verify(link.token), 409, 'conflict');
      expect((await t.em().findOneOrFail(User, { id: user.id })).email).toBe(user.email);
    });
  });

  it('loses no mail while the SMTP server is down: every queued mail arrives once after it is back', async () => {
    await smtp.stop();
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(t)));
    for (const user of users) await forgot(user.email).expect(202);
    // The worker meets a closed port and retries with backoff meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    for (const user of users) expect(smtp.to(user.email)).toHaveLength(0);
    await smtp.listen();

    for (const user of users) await smtp.next(user.email, 1, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const user of users) expect(smtp.to(user.email)).toHaveLength(1);
    const ids = users.map((user) => smtp.to(user.email)[0].messageId);
    expect(new Set(ids).size).toBe(users.length);
  }, 60_000);
});

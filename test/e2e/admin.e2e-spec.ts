import { Session } from '@/modules/auth/entities/session.entity';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem } from '../factories/http';
import { bearer, createAdmin, createSignedInUser, createUser, keysOf, OWN_USER_KEYS, PASSWORD, signIn, SignedInUser, uniqueUsername } from '../factories/users';
import { useTestApp } from '../support/app';

type AdminAction = 'verify' | 'suspend' | 'unsuspend' | 'role';

describe('Admin API', () => {
  const t = useTestApp({ redisScope: 'admin' });
  let admin: SignedInUser;

  /** One admin route, as `token` (or anonymously) calls it. */
  function call(action: AdminAction, username: string, token?: string, body: object = { role: 'user' }) {
    const url = `/api/v1/admin/users/${encodeURIComponent(username)}/${action}`;
    const req = action === 'role' ? t.http.patch(url).send(body) : t.http.post(url);
    return token ? req.set('Authorization', bearer(token)) : req;
  }

  const me = (token: string) => t.http.get('/api/v1/me').set('Authorization', bearer(token));
  const login = (username: string) => t.http.post('/api/v1/auth/login').send({ login: username, password: PASSWORD });
  const stored = (id: string) => t.em().findOneOrFail(User, { id });

  beforeAll(async () => {
    admin = await signIn(t, await createAdmin(t));
  });

  describe('access', () => {
    const actions: AdminAction[] = ['verify', 'suspend', 'unsuspend', 'role'];

    it.each(actions)('%s answers 401 to anonymous callers and changes nothing', async (action) => {
      const target = await createUser(t);
      expectProblem(await call(action, target.username, undefined, { role: 'admin' }), 401, 'unauthorized');
      expect(await stored(target.id)).toMatchObject({ verified: false, suspendedAt: null, role: 'user' });
    });

    it.each(actions)('%s answers 403 to a signed-in non-admin and changes nothing', async (action) => {
      const user = await createSignedInUser(t);
      const target = await createUser(t);
      // Even aimed at themselves: a user cannot promote or verify their own account.
      for (const name of [target.username, user.username]) {
        expectProblem(await call(action, name, user.accessToken, { role: 'admin' }), 403, 'forbidden');
      }
      expect(await stored(target.id)).toMatchObject({ verified: false, suspendedAt: null, role: 'user' });
      expect(await stored(user.id)).toMatchObject({ verified: false, suspendedAt: null, role: 'user' });
    });

    it('answers 401 to a forged or revoked token before looking at roles', async () => {
      const target = await createUser(t);
      const gone = await signIn(t, await createAdmin(t));
      await t.http.post('/api/v1/auth/logout').set('Authorization', bearer(gone.accessToken)).expect(204);
      expectProblem(await call('verify', target.username, gone.accessToken), 401, 'unauthorized');
      expectProblem(await call('verify', target.username, 'not-a-token'), 401, 'unauthorized');
      expect((await stored(target.id)).verified).toBe(false);
    });

    it('answers 404 not_found for an unknown username', async () => {
      for (const action of actions) {
        expectProblem(await call(action, uniqueUsername('nobody'), admin.accessToken), 404, 'not_found');
      }
    });
  });

  describe('POST /admin/users/:username/verify', () => {
    it('verifies the user (username in any case) and answers the user', async () => {
      const target = await createUser(t, { username: uniqueUsername('Vera') });
      const res = await call('verify', target.username.toUpperCase(), admin.accessToken).expect(200);
      expect(keysOf(res.body)).toEqual(OWN_USER_KEYS);
      expect(res.body).toMatchObject({ id: target.id, username: target.username, verified: true });
      expect((await stored(target.id)).verified).toBe(true);
      const profile = await t.http.get(`/api/v1/users/${target.username}`).expect(200);
      expect(profile.body.verified).toBe(true);
      // Idempotent.
      await call('verify', target.username, admin.accessToken).expect(200);
    });
  });

  describe('POST /admin/users/:username/suspend and /unsuspend', () => {
    it("suspends: the user's existing token fails at once, refresh and login are refused, the profile disappears", async () => {
      const target = await createSignedInUser(t);
      const phone = await signIn(t, target);
      await me(target.accessToken).expect(200); // cached as live first

      const res = await call('suspend', target.username, admin.accessToken).expect(200);
      expect(keysOf(res.body)).toEqual(OWN_USER_KEYS);
      expect(res.body.id).toBe(target.id);

      for (const session of [target, phone]) {
        expectProblem(await me(session.accessToken), 401, 'unauthorized');
        expectProblem(await t.http.post('/api/v1/auth/refresh').send({ refresh_token: session.refreshToken }), 401, 'unauthorized');
      }
      expectProblem(await login(target.username), 403, 'forbidden');
      expectProblem(await t.http.get(`/api/v1/users/${target.username}`), 404, 'not_found');
      expect((await stored(target.id)).suspendedAt).toBeInstanceOf(Date);
      const sessions = await t.em().find(Session, { user: target.id });
      expect(sessions.map((s) => s.revokedReason)).toEqual(['suspended', 'suspended']);
    });

    it('unsuspends: login works again and the profile is back', async () => {
      const target = await createUser(t);
      await call('suspend', target.username, admin.accessToken).expect(200);
      expectProblem(await login(target.username), 403, 'forbidden');

      const res = await call('unsuspend', target.username, admin.accessToken).expect(200);
      expect(keysOf(res.body)).toEqual(OWN_USER_KEYS);
      expect((await stored(target.id)).suspendedAt).toBeNull();
      const signedIn = await login(target.username).expect(200);
      await me(signedIn.body.access_token).expect(200);
      await t.http.get(`/api/v1/users/${target.username}`).expect(200);
    });

    it('refuses to let an admin suspend themselves (422), so the last admin cannot lock everyone out', async () => {
      expectProblem(await call('suspend', admin.username, admin.accessToken), 422, 'validation_failed');
      await me(admin.accessToken).expect(200);
    });
  });

  describe('PATCH /admin/users/:username/role', () => {
    it('promotes a user whose EXISTING token then passes admin routes, and demotes them again at once', async () => {
      const target = await createSignedInUser(t);
      const bystander = await createUser(t);
      // The target's session is cached as a plain user first.
      expectProblem(await call('verify', bystander.username, target.accessToken), 403, 'forbidden');

      const promoted = await call('role', target.username, admin.accessToken, { role: 'admin' }).expect(200);
      expect(keysOf(promoted.body)).toEqual(OWN_USER_KEYS);
      expect(promoted.body.role).toBe('admin');
      expect((await stored(target.id)).role).toBe('admin');

      await call('verify', bystander.username, target.accessToken).expect(200);
      expect((await me(target.accessToken).expect(200)).body.role).toBe('admin');

      const demoted = await call('role', target.username, admin.accessToken, { role: 'user' }).expect(200);
      expect(demoted.body.role).toBe('user');
      expectProblem(await call('unsuspend', bystander.username, target.accessToken), 403, 'forbidden');
      await me(target.accessToken).expect(200);
    });

    it.each([
      ['an unknown role', { role: 'superadmin' }],
      ['a role in another case', { role: 'ADMIN' }],
      ['an empty role', { role: '' }],
      ['a numeric role', { role: 1 }],
      ['no role', {}],
      ['an unknown field', { role: 'admin', verified: true }],
    ])('refuses %s with 400 validation_failed and changes nothing', async (_case, body) => {
      const target = await createUser(t);
      expectProblem(await call('role', target.username, admin.accessToken, body), 400, 'validation_failed');
      expect(await stored(target.id)).toMatchObject({ role: 'user', verified: false });
    });

    it('refuses to let an admin demote themselves (422)', async () => {
      expectProblem(await call('role', admin.username, admin.accessToken, { role: 'user' }), 422, 'validation_failed');
      expect((await stored(admin.id)).role).toBe('admin');
    });
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { Follow } from '@/modules/social/entities/follow.entity';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem } from '../factories/http';
import { createMedia } from '../factories/posts';
import {
  bearer,
  createSignedInUser,
  createUser,
  freshUserBody,
  keysOf,
  OWN_USER_KEYS,
  PUBLIC_USER_KEYS,
  RELATIONSHIP_KEYS,
  SignedInUser,
  TestUser,
  uniqueUsername,
} from '../factories/users';
import { useTestApp } from '../support/app';

describe('Profiles', () => {
  const t = useTestApp({ redisScope: 'profiles' });

  const me = (token: string) => t.http.get('/api/v1/me').set('Authorization', bearer(token));
  const patchMe = (token: string, body: object) => t.http.patch('/api/v1/me').set('Authorization', bearer(token)).send(body);
  const stored = (id: string) => t.em().findOneOrFail(User, { id });

  describe('GET /me', () => {
    it('answers the own user object, exactly', async () => {
      const user = await createSignedInUser(t, { verified: true, displayName: 'Grace' });
      const res = await me(user.accessToken).expect(200);
      expect(keysOf(res.body)).toEqual(OWN_USER_KEYS);
      expect(res.body).toEqual(freshUserBody({ id: user.id, username: user.username, email: user.email, email_verified: false, display_name: 'Grace', verified: true }));
    });

    it('answers 401 to anonymous callers', async () => {
      expectProblem(await t.http.get('/api/v1/me'), 401, 'unauthorized');
      expectProblem(await t.http.patch('/api/v1/me').send({ bio: 'x' }), 401, 'unauthorized');
    });
  });

  describe('PATCH /me', () => {
    let user: SignedInUser;

    beforeAll(async () => {
      user = await createSignedInUser(t);
    });

    it('updates display_name, bio and the subscription price, and answers the own user', async () => {
      const res = await patchMe(user.accessToken, { display_name: 'New Name', bio: 'b'.repeat(500), subscription_price_cents: 100 }).expect(200);
      expect(keysOf(res.body)).toEqual(OWN_USER_KEYS);
      expect(res.body).toMatchObject({ id: user.id, display_name: 'New Name', bio: 'b'.repeat(500), subscription_price_cents: 100 });
      const row = await stored(user.id);
      expect(row).toMatchObject({ displayName: 'New Name', bio: 'b'.repeat(500), subscriptionPriceCents: 100 });
      expect((await me(user.accessToken).expect(200)).body).toEqual(res.body);
    });

    it('accepts the upper price bound, and null to stop taking subscriptions', async () => {
      await patchMe(user.accessToken, { subscription_price_cents: 100000 }).expect(200);
      expect((await stored(user.id)).subscriptionPriceCents).toBe(100000);
      const res = await patchMe(user.accessToken, { subscription_price_cents: null }).expect(200);
      expect(res.body.subscription_price_cents).toBeNull();
      expect((await stored(user.id)).subscriptionPriceCents).toBeNull();
    });

    it('leaves untouched fields alone on an empty patch', async () => {
      await patchMe(user.accessToken, { bio: 'kept' }).expect(200);
      const res = await patchMe(user.accessToken, {}).expect(200);
      expect(res.body.bio).toBe('kept');
    });

    it.each([
      ['a 501 character bio', { bio: 'b'.repeat(501) }],
      ['a 101 character display_name', { display_name: 'd'.repeat(101) }],
      ['a price of 99', { subscription_price_cents: 99 }],
      ['a price of 100001', { subscription_price_cents: 100001 }],
      ['a negative price', { subscription_price_cents: -500 }],
      ['a fractional price', { subscription_price_cents: 150.5 }],
      ['a price as a string', { subscription_price_cents: '500' }],
      ['a numeric bio', { bio: 42 }],
      ['a malformed avatar_media_id', { avatar_media_id: "1' or '1'='1" }],
    ])('refuses %s with 400 validation_failed and changes nothing', async (_case, body) => {
      const before = await stored(user.id);
      const res = await patchMe(user.accessToken, body);
      expectProblem(res, 400, 'validation_failed');
      const after = await stored(user.id);
      expect({ bio: after.bio, displayName: after.displayName, price: after.subscriptionPriceCents }).toEqual({
        bio: before.bio,
        displayName: before.displayName,
        price: before.subscriptionPriceCents,
      });
    });

    it.each([
      ['username', { username: uniqueUsername() }],
      ['email', { email: 'takeover@example.test' }],
      ['role', { role: 'admin' }],
      ['verified', { verified: true }],
      ['followers_count', { followers_count: 1000000 }],
      ['currency', { currency: 'eur' }],
    ])('refuses the field %s with 400 validation_failed instead of storing it', async (_field, body) => {
      const res = await patchMe(user.accessToken, { bio: 'sneaky', ...body });
      expectProblem(res, 400, 'validation_failed');
      const row = await stored(user.id);
      expect(row).toMatchObject({ username: user.username, email: user.email, role: 'user', verified: false, followersCount: 0, currency: 'usd' });
      expect(row.bio).not.toBe('sneaky');
    });

    it('sets the avatar and cover from own ready images, and null removes them', async () => {
      const avatar = await createMedia(t, user);
      const cover = await createMedia(t, user);
      const res = await patchMe(user.accessToken, { avatar_media_id: avatar.id, cover_media_id: cover.id }).expect(200);
      expect(res.body).toMatchObject({ avatar_url: avatar.url, cover_url: cover.url });
      const row = await stored(user.id);
      expect(row.avatarMedia?.id).toBe(avatar.id);
      expect(row.coverMedia?.id).toBe(cover.id);

      const cleared = await patchMe(user.accessToken, { avatar_media_id: null, cover_media_id: null }).expect(200);
      expect(cleared.body).toMatchObject({ avatar_url: null, cover_url: null });
    });

    it("refuses a non-existent media id or another user's image with 422 validation_failed", async () => {
      const stranger = await createUser(t);
      const theirs = await createMedia(t, stranger);
      for (const body of [{ avatar_media_id: randomUUID() }, { avatar_media_id: theirs.id }, { cover_media_id: theirs.id }]) {
        const res = await patchMe(user.accessToken, body);
        expectProblem(res, 422, 'validation_failed');
      }
      const row = await stored(user.id);
      expect(row.avatarMedia).toBeFalsy();
      expect(row.avatarUrl).not.toBe(theirs.url);
    });

    it('refuses own media that is still processing, failed, or a video, with 422', async () => {
      for (const fields of [{ status: 'processing' }, { status: 'failed' }, { type: 'video' }] as const) {
        const media = await createMedia(t, user, undefined, fields);
        expectProblem(await patchMe(user.accessToken, { avatar_media_id: media.id }), 422, 'validation_failed');
      }
    });
  });

  describe('GET /users/:username', () => {
    let viewer: SignedInUser;
    let target: TestUser;

    beforeAll(async () => {
      viewer = await createSignedInUser(t);
      target = await createUser(t, { username: uniqueUsername('Target'), verified: true });
    });

    it('answers the public profile without email or relationship to anonymous viewers, by username in any case', async () => {
      for (const name of [target.username, target.username.toLowerCase(), target.username.toUpperCase()]) {
        const res = await t.http.get(`/api/v1/users/${name}`).expect(200);
        expect(keysOf(res.body)).toEqual(PUBLIC_USER_KEYS);
        const { role: _ownViewOnly, dm_policy: _ownPolicy, ...publicBody } = freshUserBody({ id: target.id, username: target.username, display_name: target.username, verified: true });
        expect(res.body).toEqual(publicBody);
        expect(res.text).not.toContain(target.email);
      }
    });

    it('adds the relationship for a signed-in viewer', async () => {
      const res = await t.http.get(`/api/v1/users/${target.username}`).set('Authorization', bearer(viewer.accessToken)).expect(200);
      expect(keysOf(res.body)).toEqual([...PUBLIC_USER_KEYS, 'relationship'].sort());
      expect(keysOf(res.body.relationship)).toEqual(RELATIONSHIP_KEYS);
      expect(res.body.relationship).toEqual({ following: false, followed_by: false, blocking: false, blocked_by: false, muting: false, subscribed: false });
      expect(res.text).not.toContain(target.email);
    });

    it('reports a follow from the target as followed_by', async () => {
      const follower = await createUser(t);
      const em = t.em();
      em.create(Follow, { follower: em.getReference(User, follower.id), following: em.getReference(User, viewer.id) });
      await em.flush();
      const res = await t.http.get(`/api/v1/users/${follower.username}`).set('Authorization', bearer(viewer.accessToken)).expect(200);
      expect(res.body.relationship).toMatchObject({ following: false, followed_by: true });
    });

    it('answers 404 not_found for an unknown username, whoever asks', async () => {
      expectProblem(await t.http.get(`/api/v1/users/${uniqueUsername('nobody')}`), 404, 'not_found');
      expectProblem(
        await t.http.get(`/api/v1/users/${uniqueUsername('nobody')}`).set('Authorization', bearer(viewer.accessToken)),
        404,
        'not_found',
      );
    });

    it('answers 404 for a suspended user, to anonymous and signed-in viewers alike', async () => {
      const suspended = await createUser(t, { suspended: true });
      expectProblem(await t.http.get(`/api/v1/users/${suspended.username}`), 404, 'not_found');
      expectProblem(await t.http.get(`/api/v1/users/${suspended.username}`).set('Authorization', bearer(viewer.accessToken)), 404, 'not_found');
    });

    it('answers 404 for SQL-looking or wildcard usernames instead of matching anyone', async () => {
      for (const name of ["x'%20OR%20'1'%3D'1", '%25', '_%25', `${target.username.slice(0, 4)}%25`]) {
        expectProblem(await t.http.get(`/api/v1/users/${name}`), 404, 'not_found');
      }
    });

    it('refuses an invalid token on the public route rather than treating the caller as anonymous', async () => {
      const res = await t.http.get(`/api/v1/users/${target.username}`).set('Authorization', `Bearer ${randomBytes(16).toString('hex')}`);
      expectProblem(res, 401, 'unauthorized');
    });
  });
});

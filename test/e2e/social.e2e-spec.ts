import { Follow } from '@/modules/social/entities/follow.entity';
import { expectProblem } from '../factories/http';
import { allPages, as, createPost, follow, ids, PostBody, scan, signedInUsers, subscribe, suspend, uniqueWord } from '../factories/posts';
import { keysOf, PUBLIC_USER_KEYS, RELATIONSHIP_KEYS, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';

const NONE = { following: false, followed_by: false, blocking: false, blocked_by: false, muting: false, subscribed: false };

describe('Social graph', () => {
  const t = useTestApp({ redisScope: 'social' });

  const profile = (username: string, viewer?: SignedInUser) => as(t, viewer).get(`/users/${username}`);
  const counts = async (user: SignedInUser) => {
    const { followers_count, following_count } = (await profile(user.username).expect(200)).body;
    return { followers_count, following_count };
  };

  describe('own profile', () => {
    it('GET /me counts follows and posts; PATCH /me edits show on the public profile and on posts', async () => {
      const [me, fan, idol] = await signedInUsers(t, 3);
      await follow(t, fan, me);
      await follow(t, me, idol);
      await createPost(t, me, 'counted');
      const own = await as(t, me).get('/me').expect(200);
      expect(own.body).toMatchObject({ id: me.id, email: me.email, followers_count: 1, following_count: 1, posts_count: 1 });

      const patched = await as(t, me).patch('/me', { display_name: 'Ada', bio: 'writes', subscription_price_cents: 900 }).expect(200);
      expect(patched.body).toMatchObject({ display_name: 'Ada', bio: 'writes', subscription_price_cents: 900 });
      const seen = await profile(me.username, fan).expect(200);
      expect(seen.body).toMatchObject({ display_name: 'Ada', bio: 'writes', subscription_price_cents: 900, followers_count: 1, posts_count: 1 });
      expect(seen.body.relationship).toEqual({ ...NONE, following: true });
      expect(seen.body).not.toHaveProperty('email');
      const posts = await as(t, fan).get(`/users/${me.username}/posts`).expect(200);
      expect(posts.body.data[0].author).toEqual({ id: me.id, username: me.username, display_name: 'Ada', avatar_url: null, verified: false });
      expectProblem(await as(t, me).patch('/me', { bio: 'b'.repeat(501) }), 400, 'validation_failed');
      expectProblem(await as(t, me).patch('/me', { followers_count: 1000 }), 400, 'validation_failed');
    });
  });

  describe('follow and unfollow', () => {
    it('follow answers the relationship and moves both counters; a repeat changes nothing', async () => {
      const [a, b] = await signedInUsers(t, 2);
      const res = await as(t, a).post(`/users/${b.username}/follow`).expect(200);
      expect(keysOf(res.body)).toEqual(RELATIONSHIP_KEYS);
      expect(res.body).toEqual({ ...NONE, following: true });
      expect((await as(t, a).post(`/users/${b.username.toUpperCase()}/follow`).expect(200)).body).toEqual({ ...NONE, following: true });
      expect(await counts(b)).toEqual({ followers_count: 1, following_count: 0 });
      expect(await counts(a)).toEqual({ followers_count: 0, following_count: 1 });
      expect(await t.em().count(Follow, { follower: a.id, following: b.id })).toBe(1);

      const seenByA = await profile(b.username, a).expect(200);
      expect(keysOf(seenByA.body)).toEqual([...PUBLIC_USER_KEYS, 'relationship'].sort());
      expect(seenByA.body.relationship).toEqual({ ...NONE, following: true });
      expect((await profile(a.username, b).expect(200)).body.relationship).toEqual({ ...NONE, followed_by: true });
      expect((await as(t, b).post(`/users/${a.username}/follow`).expect(200)).body).toEqual({ ...NONE, following: true, followed_by: true });
      const anonymous = await profile(b.username).expect(200);
      expect(keysOf(anonymous.body)).toEqual(PUBLIC_USER_KEYS);
    });

    it('unfollow answers the relationship, moves the counters back, and is idempotent', async () => {
      const [a, b] = await signedInUsers(t, 2);
      await follow(t, a, b);
      expect((await as(t, a).delete(`/users/${b.username}/follow`).expect(200)).body).toEqual(NONE);
      expect((await as(t, a).delete(`/users/${b.username}/follow`).expect(200)).body).toEqual(NONE);
      expect(await counts(b)).toEqual({ followers_count: 0, following_count: 0 });
      expect(await counts(a)).toEqual({ followers_count: 0, following_count: 0 });
      expect((await profile(b.username, a).expect(200)).body.relationship).toEqual(NONE);
    });

    it('following yourself is 422; unknown users 404; anonymous 401', async () => {
      const [a] = await signedInUsers(t, 1);
      expectProblem(await as(t, a).post(`/users/${a.username}/follow`), 422, 'validation_failed');
      expect(await counts(a)).toEqual({ followers_count: 0, following_count: 0 });
      expectProblem(await as(t, a).post(`/users/${uniqueWord('nobody')}/follow`), 404, 'not_found');
      expectProblem(await as(t).post(`/users/${a.username}/follow`), 401, 'unauthorized');
      expectProblem(await profile(uniqueWord('nobody')), 404, 'not_found');
    });

    it('20 parallel follows of the same user by one user count once', async () => {
      const [a, b] = await signedInUsers(t, 2);
      const answers = await Promise.all(Array.from({ length: 20 }, () => as(t, a).post(`/users/${b.username}/follow`)));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
      for (const answer of answers) expect(answer.body.following).toBe(true);
      expect(await counts(b)).toEqual({ followers_count: 1, following_count: 0 });
      expect(await counts(a)).toEqual({ followers_count: 0, following_count: 1 });
      expect(await t.em().count(Follow, { follower: a.id, following: b.id })).toBe(1);

      const unfollows = await Promise.all(Array.from({ length: 20 }, () => as(t, a).delete(`/users/${b.username}/follow`)));
      expect(unfollows.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(await counts(b)).toEqual({ followers_count: 0, following_count: 0 });
    });

    it('users following each other all at once: exact counters, no deadlock (both rows move in one UPDATE)', async () => {
      const crowd = await signedInUsers(t, 8);
      const pairs = crowd.flatMap((a) => crowd.filter((b) => b !== a).map((b) => [a, b] as const));
      const answers = await Promise.all(pairs.map(([a, b]) => as(t, a).post(`/users/${b.username}/follow`)));
      expect(answers.map((r) => r.status)).toEqual(Array(pairs.length).fill(200));
      for (const user of crowd) expect(await counts(user)).toEqual({ followers_count: 7, following_count: 7 });

      const [blocker, ...others] = crowd;
      await Promise.all([
        as(t, blocker).post(`/users/${others[0].username}/block`).expect(200),
        ...others.slice(1).map((other) => as(t, other).delete(`/users/${blocker.username}/follow`).expect(200)),
      ]);
      expect(await counts(blocker)).toEqual({ followers_count: 0, following_count: 6 });
      expect(await counts(others[0])).toEqual({ followers_count: 6, following_count: 6 });
    });

    it('relationship.subscribed follows an active subscription', async () => {
      const [fan, creator, former] = await signedInUsers(t, 3);
      await subscribe(t, fan, creator);
      await subscribe(t, former, creator, { status: 'canceled' });
      expect((await profile(creator.username, fan).expect(200)).body.relationship).toEqual({ ...NONE, subscribed: true });
      expect((await as(t, fan).post(`/users/${creator.username}/follow`).expect(200)).body).toEqual({ ...NONE, following: true, subscribed: true });
      expect((await profile(creator.username, former).expect(200)).body.relationship).toEqual(NONE);
    });
  });

  describe('followers and following lists', () => {
    it('list the newest follows first, page by page, with a Link header', async () => {
      const [star, ...fans] = await signedInUsers(t, 4);
      for (const fan of fans) await follow(t, fan, star);
      const first = await as(t).get(`/users/${star.username}/followers?limit=2`).expect(200);
      expect(first.body.data.map((u: { id: string }) => u.id)).toEqual([fans[2].id, fans[1].id]);
      expect(keysOf(first.body.data[0])).toEqual(PUBLIC_USER_KEYS);
      expect(first.headers.link).toMatch(/^<http[^>]+\/api\/v1\/users\/[^>]+\/followers\?[^>]*cursor=[^>]+>; rel="next"$/);
      const link = new URL(/^<([^>]+)>/.exec(first.headers.link)![1]);
      const second = await t.http.get(`${link.pathname}${link.search}`).expect(200);
      expect(second.body).toEqual({ data: [expect.objectContaining({ id: fans[0].id })], next_cursor: null });
      expect(second.headers.link).toBeUndefined();

      for (const other of [star, fans[1]]) await follow(t, fans[0], other);
      const following = await as(t, star).get(`/users/${fans[0].username}/following`).expect(200);
      expect(following.body).toEqual({ data: [expect.objectContaining({ id: fans[1].id }), expect.objectContaining({ id: star.id })], next_cursor: null });
    });

    it('pages never repeat or skip, even for follows made at the same moment', async () => {
      const [star] = await signedInUsers(t, 1);
      const fans = await signedInUsers(t, 24);
      await Promise.all(fans.map((fan) => follow(t, fan, star)));
      expect(await counts(star)).toEqual({ followers_count: 24, following_count: 0 });
      const pages = await allPages<{ id: string }>(as(t), `/users/${star.username}/followers`, 5);
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 4]);
      const seen = pages.flat().map((u) => u.id);
      expect(new Set(seen).size).toBe(24);
      expect(new Set(seen)).toEqual(new Set(fans.map((f) => f.id)));
    });

    it('leave suspended users out; refuse bad cursors and limits', async () => {
      const [star, active, suspended] = await signedInUsers(t, 3);
      await follow(t, active, star);
      await follow(t, suspended, star);
      await suspend(t, suspended);
      const res = await as(t).get(`/users/${star.username}/followers`).expect(200);
      expect(res.body.data.map((u: { id: string }) => u.id)).toEqual([active.id]);
      expectProblem(await as(t).get(`/users/${star.username}/followers?cursor=garbage`), 400, 'validation_failed');
      expectProblem(await as(t).get(`/users/${star.username}/following?limit=101`), 400, 'validation_failed');
      expectProblem(await as(t).get(`/users/${star.username}/following?limit=0`), 400, 'validation_failed');
      expectProblem(await as(t).get(`/users/${uniqueWord('nobody')}/followers`), 404, 'not_found');
      expectProblem(await as(t).get(`/users/${suspended.username}/following`), 404, 'not_found');
    });
  });

  describe('block', () => {
    it('removes follows both ways, with their counters, and answers the relationship', async () => {
      const [a, b] = await signedInUsers(t, 2);
      await follow(t, a, b);
      await follow(t, b, a);
      const res = await as(t, a).post(`/users/${b.username}/block`).expect(200);
      expect(keysOf(res.body)).toEqual(RELATIONSHIP_KEYS);
      expect(res.body).toEqual({ ...NONE, blocking: true });
      expect((await as(t, a).post(`/users/${b.username}/block`).expect(200)).body).toEqual({ ...NONE, blocking: true });
      expect(await counts(a)).toEqual({ followers_count: 0, following_count: 0 });
      expect(await counts(b)).toEqual({ followers_count: 0, following_count: 0 });
      expect(await t.em().count(Follow, { $or: [{ follower: a.id }, { follower: b.id }] })).toBe(0);
      expect((await profile(b.username, a).expect(200)).body.relationship).toEqual({ ...NONE, blocking: true });
      expect((await profile(a.username, b).expect(200)).body.relationship).toEqual({ ...NONE, blocked_by: true });

      // Neither side can follow the other while the block stands.
      expectProblem(await as(t, b).post(`/users/${a.username}/follow`), 403, 'forbidden');
      expectProblem(await as(t, a).post(`/users/${b.username}/follow`), 403, 'forbidden');
      expectProblem(await as(t, a).post(`/users/${a.username}/block`), 422, 'validation_failed');

      expect((await as(t, a).delete(`/users/${b.username}/block`).expect(200)).body).toEqual(NONE);
      expect((await as(t, a).delete(`/users/${b.username}/block`).expect(200)).body).toEqual(NONE);
      expect(await counts(a)).toEqual({ followers_count: 0, following_count: 0 });
      expect((await as(t, b).post(`/users/${a.username}/follow`).expect(200)).body).toEqual({ ...NONE, following: true });
    });

    describe("hides each side's posts from the other on every read path", () => {
      let blocker: SignedInUser;
      let blocked: SignedInUser;
      let third: SignedInUser;
      let tag: string;
      let byBlocker: PostBody;
      let byBlocked: PostBody;
      let thirds: PostBody;
      let replyByBlocker: PostBody;
      let replyByBlocked: PostBody;
      let since: string;

      beforeAll(async () => {
        [blocker, blocked, third] = await signedInUsers(t, 3);
        tag = uniqueWord('blk');
        await follow(t, blocker, third);
        await follow(t, blocked, third);
        await follow(t, blocker, blocked);
        await follow(t, blocked, blocker);
        byBlocker = await createPost(t, blocker, `from the blocker #${tag}`);
        since = byBlocker.created_at;
        byBlocked = await createPost(t, blocked, `from the blocked #${tag}`);
        thirds = await createPost(t, third, `a third party #${tag}`);
        replyByBlocker = await createPost(t, blocker, { content: 'blocker replies', reply_to_id: thirds.id });
        replyByBlocked = await createPost(t, blocked, { content: 'blocked replies', reply_to_id: thirds.id });
        for (const post of [byBlocker, byBlocked]) await as(t, third).post(`/posts/${post.id}/repost`).expect(200);
        for (const post of [byBlocker, byBlocked]) await as(t, third).post(`/posts/${post.id}/like`).expect(200);
        await as(t, blocker).post(`/users/${blocked.username}/block`).expect(200);
      });

      const pairs = () => [
        { viewer: blocker, hidden: byBlocked, hiddenReply: replyByBlocked, author: blocked, ownReply: replyByBlocker },
        { viewer: blocked, hidden: byBlocker, hiddenReply: replyByBlocker, author: blocker, ownReply: replyByBlocked },
      ];

      it('GET /posts/:id, its thread, replies and likes answer 404; no reply, like or repost', async () => {
        for (const { viewer, hidden } of pairs()) {
          for (const path of [`/posts/${hidden.id}`, `/posts/${hidden.id}/thread`, `/posts/${hidden.id}/replies`, `/posts/${hidden.id}/likes`]) {
            expectProblem(await as(t, viewer).get(path), 404, 'not_found');
          }
          expectProblem(await as(t, viewer).post(`/posts/${hidden.id}/like`), 404, 'not_found');
          expectProblem(await as(t, viewer).post(`/posts/${hidden.id}/repost`), 404, 'not_found');
          expectProblem(await as(t, viewer).post('/posts', { content: 'sneaky', reply_to_id: hidden.id }), 404, 'not_found');
        }
        for (const post of [byBlocker, byBlocked]) await as(t, third).get(`/posts/${post.id}`).expect(200);
      });

      it("a third party's thread and replies leave the other side's replies out", async () => {
        for (const { viewer, hiddenReply, ownReply } of pairs()) {
          const thread = await as(t, viewer).get(`/posts/${thirds.id}/thread`).expect(200);
          expect(ids({ data: thread.body.descendants })).toEqual([ownReply.id]);
          const replies = await as(t, viewer).get(`/posts/${thirds.id}/replies`).expect(200);
          expect(ids(replies.body)).toEqual([ownReply.id]);
          expectProblem(await as(t, viewer).get(`/posts/${hiddenReply.id}/thread`), 404, 'not_found');
        }
        const all = await as(t, third).get(`/posts/${thirds.id}/replies`).expect(200);
        expect(ids(all.body)).toEqual([replyByBlocker.id, replyByBlocked.id]);
      });

      it('home, public and tag timelines and user posts leave the other side out, reposts included', async () => {
        for (const { viewer, hidden, author } of pairs()) {
          const home = (await as(t, viewer).get('/timelines/home?limit=100').expect(200)).body.data as PostBody[];
          expect(home.length).toBeGreaterThan(0);
          expect(home.map((p) => p.id)).not.toContain(hidden.id);
          expect(home.map((p) => p.repost_of?.id)).not.toContain(hidden.id);
          expect(home.map((p) => p.author.id)).not.toContain(author.id);

          const everyone = await scan(as(t, viewer), '/timelines/public', since);
          expect(everyone.map((p) => p.id)).toContain(thirds.id);
          expect(everyone.map((p) => p.author.id)).not.toContain(author.id);

          const tagged = await as(t, viewer).get(`/tags/${tag}/posts`).expect(200);
          expect(ids(tagged.body)).toHaveLength(2);
          expect(ids(tagged.body)).not.toContain(hidden.id);

          expect((await as(t, viewer).get(`/users/${author.username}/posts`).expect(200)).body).toEqual({ data: [], next_cursor: null });
          const thirdsPosts = (await as(t, viewer).get(`/users/${third.username}/posts`).expect(200)).body.data as PostBody[];
          expect(thirdsPosts.map((p) => p.repost_of?.id)).not.toContain(hidden.id);
          expect(thirdsPosts.length).toBe(2);
        }
        const tagged = await as(t, third).get(`/tags/${tag}/posts`).expect(200);
        expect(ids(tagged.body)).toHaveLength(3);
      });

      it('likes lists of a third party do not leak the other side as a post', async () => {
        for (const { viewer, hidden } of pairs()) {
          const liked = await as(t, viewer).get(`/posts/${thirds.id}`).expect(200);
          expect(liked.body.id).toBe(thirds.id);
          expectProblem(await as(t, viewer).get(`/posts/${hidden.id}/likes`), 404, 'not_found');
        }
        const likers = await as(t, third).get(`/posts/${byBlocked.id}/likes`).expect(200);
        expect(likers.body.data.map((u: { id: string }) => u.id)).toEqual([third.id]);
      });

      it('unblocking shows the posts again (the follows stay gone)', async () => {
        await as(t, blocker).delete(`/users/${blocked.username}/block`).expect(200);
        try {
          await as(t, blocker).get(`/posts/${byBlocked.id}`).expect(200);
          await as(t, blocked).get(`/posts/${byBlocker.id}`).expect(200);
          expect((await profile(blocked.username, blocker).expect(200)).body.relationship).toEqual(NONE);
        } finally {
          await as(t, blocker).post(`/users/${blocked.username}/block`).expect(200);
        }
      });
    });
  });

  describe('mute', () => {
    it('hides the muted account from home, public and tag timelines; GET /posts/:id still works', async () => {
      const [muter, muted, other] = await signedInUsers(t, 3);
      const tag = uniqueWord('mut');
      await follow(t, muter, muted);
      await follow(t, muter, other);
      const post = await createPost(t, muted, `muted voice #${tag}`);
      const control = await createPost(t, other, `other voice #${tag}`);
      await as(t, other).post(`/posts/${post.id}/repost`).expect(200);

      const res = await as(t, muter).post(`/users/${muted.username}/mute`).expect(200);
      expect(res.body).toEqual({ ...NONE, following: true, muting: true });
      expect((await as(t, muter).post(`/users/${muted.username}/mute`).expect(200)).body).toEqual({ ...NONE, following: true, muting: true });
      expect((await profile(muted.username, muter).expect(200)).body.relationship).toEqual({ ...NONE, following: true, muting: true });
      expect(await counts(muted)).toEqual({ followers_count: 1, following_count: 0 });

      // Reposts of the muted account's posts are left out too (as Mastodon does).
      expect(ids((await as(t, muter).get('/timelines/home').expect(200)).body)).toEqual([control.id]);
      const everyone = await scan(as(t, muter), '/timelines/public', post.created_at);
      expect(everyone.map((p) => p.id)).toContain(control.id);
      expect(everyone.map((p) => p.id)).not.toContain(post.id);
      expect(ids((await as(t, muter).get(`/tags/${tag}/posts`).expect(200)).body)).toEqual([control.id]);
      expect((await as(t, muter).get(`/posts/${post.id}`).expect(200)).body).toMatchObject({ id: post.id, content: `muted voice #${tag}` });
      // The muted side sees nothing change.
      expect(ids((await as(t, muted).get(`/tags/${tag}/posts`).expect(200)).body)).toEqual([control.id, post.id]);

      expect((await as(t, muter).delete(`/users/${muted.username}/mute`).expect(200)).body).toEqual({ ...NONE, following: true });
      expect((await as(t, muter).delete(`/users/${muted.username}/mute`).expect(200)).body).toEqual({ ...NONE, following: true });
      const home = (await as(t, muter).get('/timelines/home').expect(200)).body.data as PostBody[];
      expect(home.map((p) => p.repost_of?.id ?? p.id)).toEqual([post.id, control.id, post.id]);
      expect(ids((await as(t, muter).get(`/tags/${tag}/posts`).expect(200)).body)).toEqual([control.id, post.id]);
      expectProblem(await as(t, muter).post(`/users/${muter.username}/mute`), 422, 'validation_failed');
    });
  });
});

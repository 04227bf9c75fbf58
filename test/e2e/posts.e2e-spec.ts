import { Like } from '@/modules/posts/entities/like.entity';
import { Post } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem, ISO_UTC } from '../factories/http';
import {
  allPages,
  as,
  createMedia,
  createPost,
  follow,
  ids,
  PageBody,
  POST_KEYS,
  PostBody,
  scan,
  signedInUsers,
  suspend,
  uniqueWord,
} from '../factories/posts';
import { createAdmin, createSignedInUser, createUser, keysOf, PUBLIC_USER_KEYS, signIn, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';

describe('Posts', () => {
  const t = useTestApp({ redisScope: 'posts' });
  let alice: SignedInUser;
  let bob: SignedInUser;
  let carol: SignedInUser;

  const getPost = (id: string, viewer?: SignedInUser) => as(t, viewer).get(`/posts/${id}`);
  const postsCount = async (userId: string) => (await t.em().findOneOrFail(User, { id: userId })).postsCount;

  beforeAll(async () => {
    [alice, bob, carol] = await signedInUsers(t, 3);
  });

  describe('POST /posts', () => {
    it('creates a post and answers the post object, exactly', async () => {
      const before = await postsCount(alice.id);
      const res = await as(t, alice).post('/posts', { content: 'Hello world' }).expect(201);
      expect(keysOf(res.body)).toEqual(POST_KEYS);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        author: { id: alice.id, username: alice.username, display_name: alice.username, avatar_url: null, verified: false },
        content: 'Hello world',
        content_html: '<p>Hello world</p>',
        reply_to_id: null,
        root_post_id: null,
        repost_of: null,
        media: [],
        likes_count: 0,
        replies_count: 0,
        reposts_count: 0,
        visibility: 'public',
        is_premium: false,
        price_cents: null,
        min_tier_id: null,
        currency: 'usd',
        locked: false,
        preview: null,
        liked: false,
        reposted: false,
        created_at: expect.stringMatching(ISO_UTC),
        edited_at: null,
      });
      const anonymous = await getPost(res.body.id).expect(200);
      expect(anonymous.body).toEqual(res.body);
      expect(await postsCount(alice.id)).toBe(before + 1);
    });

    it('needs a signed-in author', async () => {
      expectProblem(await t.http.post('/api/v1/posts').send({ content: 'anonymous' }), 401, 'unauthorized');
    });

    it('takes content of 1 to 5000 characters; empty content is refused', async () => {
      expectProblem(await as(t, alice).post('/posts', { content: '' }), 400, 'validation_failed');
      expectProblem(await as(t, alice).post('/posts', {}), 400, 'validation_failed');
      const blank = await as(t, alice).post('/posts', { content: '   \n ' });
      expect([400, 422]).toContain(blank.status);
      expect(blank.body.code).toBe('validation_failed');
      expectProblem(await as(t, alice).post('/posts', { content: 'x'.repeat(5001) }), 400, 'validation_failed');
      expectProblem(await as(t, alice).post('/posts', { content: 42 }), 400, 'validation_failed');
      const longest = await as(t, alice).post('/posts', { content: 'y'.repeat(5000) }).expect(201);
      expect(longest.body.content).toHaveLength(5000);
      await as(t, alice).post('/posts', { content: 'z' }).expect(201);
    });

    it('rejects unknown fields and stores nothing', async () => {
      const marker = uniqueWord();
      const res = await as(t, alice).post('/posts', { content: marker, likes_count: 1000 });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'likes_count' })]));
      expectProblem(await as(t, alice).post('/posts', { content: marker, user_id: bob.id }), 400, 'validation_failed');
      expect(await t.em().count(Post, { content: marker })).toBe(0);
    });

    it('validates visibility, is_premium, price_cents and preview', async () => {
      const bad = [
        { visibility: 'private' },
        { is_premium: 'yes' },
        { price_cents: 99 },
        { price_cents: 100001 },
        { price_cents: 150.5 },
        { price_cents: '500' },
        { preview: 'p'.repeat(281) },
        { reply_to_id: 'not-a-uuid' },
      ];
      for (const fields of bad) {
        expectProblem(await as(t, alice).post('/posts', { content: 'invalid', ...fields }), 400, 'validation_failed');
      }
      for (const visibility of ['public', 'followers', 'subscribers']) {
        const res = await as(t, alice).post('/posts', { content: visibility, visibility }).expect(201);
        expect(res.body).toMatchObject({ visibility, is_premium: false, locked: false });
      }
      const premium = await as(t, alice).post('/posts', { content: 'for subscribers', is_premium: true, preview: 'a teaser' }).expect(201);
      expect(premium.body).toMatchObject({ is_premium: true, price_cents: null, preview: 'a teaser', locked: false, content: 'for subscribers' });
      const cheapest = await as(t, alice).post('/posts', { content: 'cheap', price_cents: 100 }).expect(201);
      expect(cheapest.body).toMatchObject({ is_premium: true, price_cents: 100, currency: 'usd' });
      const dearest = await as(t, alice).post('/posts', { content: 'dear', price_cents: 100000, is_premium: false, preview: 't'.repeat(280) }).expect(201);
      expect(dearest.body).toMatchObject({ is_premium: true, price_cents: 100000, preview: 't'.repeat(280) });
    });

    it("attaches up to 4 of the author's own ready uploads, in the order given", async () => {
      const [first, second, third, fourth, fifth] = await Promise.all(Array.from({ length: 5 }, () => createMedia(t, alice)));
      const res = await as(t, alice).post('/posts', { media_ids: [second.id, first.id] }).expect(201);
      expect(res.body.media.map((m: { id: string }) => m.id)).toEqual([second.id, first.id]);
      expect(res.body.media[0]).toMatchObject({ id: second.id, type: 'image', status: 'ready', url: expect.any(String), mime_type: 'image/jpeg' });
      expect((await getPost(res.body.id).expect(200)).body.media).toEqual(res.body.media);

      const five = [first, second, third, fourth, fifth].map((m) => m.id);
      expectProblem(await as(t, alice).post('/posts', { content: 'five', media_ids: five }), 400, 'validation_failed');
      expectProblem(await as(t, alice).post('/posts', { content: 'reused', media_ids: [first.id] }), 422, 'validation_failed');
      expectProblem(await as(t, bob).post('/posts', { content: 'not mine', media_ids: [third.id] }), 422, 'validation_failed');
      const processing = await createMedia(t, alice, undefined, { status: 'processing' });
      expectProblem(await as(t, alice).post('/posts', { content: 'too early', media_ids: [processing.id] }), 422, 'validation_failed');
      expect(await t.em().count(Post, { content: { $in: ['five', 'reused', 'not mine', 'too early'] } })).toBe(0);
    });

    it('an unknown post is 404, a malformed id 400', async () => {
      expectProblem(await getPost('0190a0f0-0000-7000-8000-000000000000', alice), 404, 'not_found');
      expectProblem(await getPost('nope', alice), 400, 'validation_failed');
      expectProblem(await as(t, alice).post('/posts', { content: 'orphan', reply_to_id: '0190a0f0-0000-7000-8000-000000000000' }), 404, 'not_found');
    });
  });

  describe('content_html', () => {
    it('escapes everything the author typed: no raw HTML, ever', async () => {
      const content = '<script>alert("x")</script> <img src=x onerror=alert(1)> <b>bold</b> & \'q\'';
      const post = await createPost(t, alice, content);
      expect(post.content).toBe(content);
      expect(post.content_html).not.toMatch(/<script|<img|<b>/i);
      expect(post.content_html).toBe(
        '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &lt;b&gt;bold&lt;/b&gt; &amp; &#39;q&#39;</p>',
      );
    });

    it('turns URLs into links and keeps line breaks, but never javascript:', async () => {
      const post = await createPost(t, alice, 'see https://example.org/a?b=1&c=2\njavascript:alert(1)');
      expect(post.content_html).toContain('<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">');
      expect(post.content_html).toContain('<br>');
      expect(post.content_html).not.toMatch(/href="javascript/i);
    });

    it('links @mentions of existing users only', async () => {
      const suspended = await createUser(t, { suspended: true });
      const ghost = `ghost_${uniqueWord()}`.slice(0, 30);
      const post = await createPost(t, alice, `hi @${bob.username.toUpperCase()} and @${ghost} and @${suspended.username}`);
      expect(post.content_html).toContain(`<a href="http://localhost:3000/@${bob.username}" class="mention">@${bob.username}</a>`);
      expect(post.content_html).toContain(`@${ghost}`);
      expect(post.content_html).not.toContain(`/@${ghost}`);
      expect(post.content_html).not.toContain(`/@${suspended.username}`);
      expect((post.content_html!.match(/class="mention"/g) ?? []).length).toBe(1);
    });

    it('links #hashtags and stores them: GET /tags/:tag/posts finds the post in any case', async () => {
      const tag = `Tag${uniqueWord()}`;
      const post = await createPost(t, alice, `about #${tag} today`);
      expect(post.content_html).toContain(`<a href="http://localhost:3000/tags/${tag.toLowerCase()}" class="hashtag">#${tag}</a>`);
      for (const asked of [tag, tag.toLowerCase(), tag.toUpperCase(), `%23${tag}`]) {
        const res = await as(t, bob).get(`/tags/${asked}/posts`).expect(200);
        expect(ids(res.body)).toEqual([post.id]);
      }
      const anonymous = await as(t).get(`/tags/${tag}/posts`).expect(200);
      expect(ids(anonymous.body)).toEqual([post.id]);
      expect((await as(t).get(`/tags/${uniqueWord()}/posts`).expect(200)).body).toEqual({ data: [], next_cursor: null });
    });
  });

  describe('replies and threads', () => {
    it('replies inherit root_post_id: a reply to a reply points at the root; replies_count counts direct replies only', async () => {
      const root = await createPost(t, alice, 'root');
      const first = await createPost(t, bob, { content: 'first', reply_to_id: root.id });
      expect(first).toMatchObject({ reply_to_id: root.id, root_post_id: root.id });
      const nested = await createPost(t, carol, { content: 'nested', reply_to_id: first.id });
      expect(nested).toMatchObject({ reply_to_id: first.id, root_post_id: root.id });
      const deeper = await createPost(t, alice, { content: 'deeper', reply_to_id: nested.id });
      expect(deeper).toMatchObject({ reply_to_id: nested.id, root_post_id: root.id });
      await createPost(t, carol, { content: 'second', reply_to_id: root.id });

      expect((await getPost(root.id).expect(200)).body.replies_count).toBe(2);
      expect((await getPost(first.id).expect(200)).body.replies_count).toBe(1);
      expect((await getPost(nested.id).expect(200)).body.replies_count).toBe(1);
      expect((await getPost(deeper.id).expect(200)).body.replies_count).toBe(0);
    });

    it('a reply to a post the author may not see is 404', async () => {
      const hidden = await createPost(t, alice, { content: 'followers only', visibility: 'followers' });
      expectProblem(await as(t, carol).post('/posts', { content: 'peek', reply_to_id: hidden.id }), 404, 'not_found');
      expect((await getPost(hidden.id, alice).expect(200)).body.replies_count).toBe(0);
    });

    it('GET /posts/:id/replies lists direct replies, oldest first, page by page', async () => {
      const root = await createPost(t, alice, 'many replies');
      const direct: PostBody[] = [];
      for (let i = 0; i < 5; i++) direct.push(await createPost(t, i % 2 ? bob : carol, { content: `reply ${i}`, reply_to_id: root.id }));
      await createPost(t, alice, { content: 'not direct', reply_to_id: direct[0].id });

      const first = await as(t).get(`/posts/${root.id}/replies?limit=2`).expect(200);
      expect(ids(first.body)).toEqual([direct[0].id, direct[1].id]);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      expect(first.headers.link).toMatch(/^<http[^>]+\/api\/v1\/posts\/[^>]+\/replies\?[^>]*cursor=[^>]+>; rel="next"$/);

      const pages = await allPages(as(t, bob), `/posts/${root.id}/replies`, 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat().map((p) => p.id)).toEqual(direct.map((p) => p.id));
      expectProblem(await as(t).get(`/posts/0190a0f0-0000-7000-8000-000000000000/replies`), 404, 'not_found');
    });

    it('GET /posts/:id/thread answers { ancestors, post, descendants }', async () => {
      const root = await createPost(t, alice, 'thread root');
      const a = await createPost(t, bob, { content: 'a', reply_to_id: root.id });
      const b = await createPost(t, carol, { content: 'b', reply_to_id: a.id });
      const c = await createPost(t, alice, { content: 'c', reply_to_id: b.id });
      const d = await createPost(t, bob, { content: 'd', reply_to_id: root.id });

      const middle = await as(t, carol).get(`/posts/${b.id}/thread`).expect(200);
      expect(Object.keys(middle.body).sort()).toEqual(['ancestors', 'descendants', 'post']);
      expect(ids({ data: middle.body.ancestors })).toEqual([root.id, a.id]);
      expect(middle.body.post).toMatchObject({ id: b.id, content: 'b' });
      expect(keysOf(middle.body.post)).toEqual(POST_KEYS);
      expect(ids({ data: middle.body.descendants })).toEqual([c.id]);

      const top = await as(t).get(`/posts/${root.id}/thread`).expect(200);
      expect(top.body.ancestors).toEqual([]);
      expect(ids({ data: top.body.descendants })).toEqual([a.id, b.id, c.id, d.id]);
      expectProblem(await as(t).get(`/posts/0190a0f0-0000-7000-8000-000000000000/thread`), 404, 'not_found');
    });
  });

  describe('Idempotency-Key', () => {
    const send = (user: SignedInUser, key: string, body: object) =>
      t.http.post('/api/v1/posts').set('Authorization', `Bearer ${user.accessToken}`).set('Idempotency-Key', key).send(body);

    it('a repeat answers the first post and creates nothing new', async () => {
      const key = uniqueWord('key-');
      const content = `once ${uniqueWord()}`;
      const before = await postsCount(alice.id);
      const first = await send(alice, key, { content }).expect(201);
      const again = await send(alice, key, { content }).expect(201);
      expect(again.body.id).toBe(first.body.id);
      expect(again.body).toEqual(first.body);
      expect(await t.em().count(Post, { content })).toBe(1);
      expect(await postsCount(alice.id)).toBe(before + 1);
    });

    it('the same key with a different body is 422', async () => {
      const key = uniqueWord('key-');
      const first = await send(alice, key, { content: 'the first body' }).expect(201);
      const other = await send(alice, key, { content: 'another body' });
      expectProblem(other, 422, 'validation_failed');
      expect(await t.em().count(Post, { content: 'another body', author: alice.id })).toBe(0);
      expect((await send(alice, key, { content: 'the first body' }).expect(201)).body.id).toBe(first.body.id);
    });

    it('keys belong to one user', async () => {
      const key = uniqueWord('key-');
      const content = `shared key ${uniqueWord()}`;
      const mine = await send(alice, key, { content }).expect(201);
      const theirs = await send(bob, key, { content }).expect(201);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.body.author.id).toBe(bob.id);
    });

    it('parallel repeats create one post', async () => {
      const key = uniqueWord('key-');
      const content = `raced ${uniqueWord()}`;
      const answers = await Promise.all(Array.from({ length: 8 }, () => send(carol, key, { content })));
      const created = answers.filter((r) => r.status === 201);
      expect(created.length).toBeGreaterThan(0);
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      for (const other of answers.filter((r) => r.status !== 201)) expectProblem(other, 409, 'conflict');
      expect(await t.em().count(Post, { content })).toBe(1);
    });

    it('a failed first attempt does not burn the key', async () => {
      const key = uniqueWord('key-');
      expectProblem(await send(alice, key, { content: '' }), 400, 'validation_failed');
      await send(alice, key, { content: '' }).expect(400);
      const retried = await send(alice, key, { content: 'now valid' }).expect(201);
      expect((await send(alice, key, { content: 'now valid' }).expect(201)).body.id).toBe(retried.body.id);
      expectProblem(await send(alice, 'has spaces in it', { content: 'x' }), 400, 'validation_failed');
    });
  });

  describe('PATCH /posts/:id', () => {
    it('the author edits: content re-rendered, edited_at set, hashtags re-stored', async () => {
      const [oldTag, newTag] = [uniqueWord('old'), uniqueWord('new')];
      const post = await createPost(t, alice, `first #${oldTag}`);
      const res = await as(t, alice).patch(`/posts/${post.id}`, { content: `second #${newTag} @${bob.username} <b>x</b>` }).expect(200);
      expect(res.body).toMatchObject({ id: post.id, content: `second #${newTag} @${bob.username} <b>x</b>`, created_at: post.created_at });
      expect(res.body.edited_at).toMatch(ISO_UTC);
      expect(res.body.edited_at >= post.created_at).toBe(true);
      expect(res.body.content_html).toContain(`class="hashtag">#${newTag}</a>`);
      expect(res.body.content_html).toContain(`class="mention">@${bob.username}</a>`);
      expect(res.body.content_html).toContain('&lt;b&gt;x&lt;/b&gt;');
      expect((await getPost(post.id, carol).expect(200)).body).toMatchObject({ content: res.body.content, edited_at: res.body.edited_at });
      expect(ids((await as(t).get(`/tags/${oldTag}/posts`).expect(200)).body)).toEqual([]);
      expect(ids((await as(t).get(`/tags/${newTag}/posts`).expect(200)).body)).toEqual([post.id]);
    });

    it('others get 403 when they can see the post, 404 when they cannot', async () => {
      const open = await createPost(t, alice, 'mine to edit');
      expectProblem(await as(t, bob).patch(`/posts/${open.id}`, { content: 'hijacked' }), 403, 'forbidden');
      const hidden = await createPost(t, alice, { content: 'followers only', visibility: 'followers' });
      expectProblem(await as(t, carol).patch(`/posts/${hidden.id}`, { content: 'hijacked' }), 404, 'not_found');
      expectProblem(await as(t).patch(`/posts/${open.id}`, { content: 'hijacked' }), 401, 'unauthorized');
      expect((await getPost(open.id).expect(200)).body).toMatchObject({ content: 'mine to edit', edited_at: null });
    });

    it('validates the new content', async () => {
      const post = await createPost(t, alice, 'valid');
      expectProblem(await as(t, alice).patch(`/posts/${post.id}`, { content: '' }), 400, 'validation_failed');
      expectProblem(await as(t, alice).patch(`/posts/${post.id}`, { content: 'x'.repeat(5001) }), 400, 'validation_failed');
      expectProblem(await as(t, alice).patch(`/posts/${post.id}`, { content: 'ok', visibility: 'followers' }), 400, 'validation_failed');
      expect((await getPost(post.id).expect(200)).body).toMatchObject({ content: 'valid', visibility: 'public' });
    });
  });

  describe('DELETE /posts/:id', () => {
    it('the author deletes: 204, then 404 everywhere; replies stay with their reply_to_id', async () => {
      const tag = uniqueWord('del');
      const follower = await createSignedInUser(t);
      await follow(t, follower, alice);
      const post = await createPost(t, alice, `to be deleted #${tag}`);
      const reply = await createPost(t, bob, { content: 'a reply', reply_to_id: post.id });
      const nested = await createPost(t, carol, { content: 'nested', reply_to_id: reply.id });
      expect(ids((await as(t, follower).get('/timelines/home').expect(200)).body)).toContain(post.id);
      const before = await postsCount(alice.id);

      await as(t, alice).delete(`/posts/${post.id}`).expect(204);

      expectProblem(await getPost(post.id, alice), 404, 'not_found');
      expectProblem(await getPost(post.id), 404, 'not_found');
      expectProblem(await as(t, alice).get(`/posts/${post.id}/thread`), 404, 'not_found');
      expectProblem(await as(t, alice).get(`/posts/${post.id}/replies`), 404, 'not_found');
      expectProblem(await as(t, alice).get(`/posts/${post.id}/likes`), 404, 'not_found');
      expectProblem(await as(t, bob).post(`/posts/${post.id}/like`), 404, 'not_found');
      expectProblem(await as(t, alice).delete(`/posts/${post.id}`), 404, 'not_found');
      expect(await postsCount(alice.id)).toBe(before - 1);

      const kept = await getPost(reply.id).expect(200);
      expect(kept.body).toMatchObject({ reply_to_id: post.id, root_post_id: post.id, content: 'a reply' });
      expect((await getPost(nested.id).expect(200)).body).toMatchObject({ reply_to_id: reply.id, root_post_id: post.id });
      const thread = await as(t).get(`/posts/${nested.id}/thread`).expect(200);
      expect(ids({ data: thread.body.ancestors })).toEqual([reply.id]);

      expect(ids((await as(t, follower).get('/timelines/home').expect(200)).body)).not.toContain(post.id);
      expect(ids((await as(t, follower).get(`/users/${alice.username}/posts`).expect(200)).body)).not.toContain(post.id);
      expect(ids((await as(t).get(`/tags/${tag}/posts`).expect(200)).body)).toEqual([]);
      expect((await scan(as(t, follower), '/timelines/public', post.created_at)).map((p) => p.id)).not.toContain(post.id);
    });

    it('deleting a reply gives its parent one reply fewer', async () => {
      const post = await createPost(t, alice, 'parent');
      const reply = await createPost(t, bob, { content: 'reply', reply_to_id: post.id });
      expect((await getPost(post.id).expect(200)).body.replies_count).toBe(1);
      await as(t, bob).delete(`/posts/${reply.id}`).expect(204);
      expect((await getPost(post.id).expect(200)).body.replies_count).toBe(0);
      expect((await as(t).get(`/posts/${post.id}/replies`).expect(200)).body.data).toEqual([]);
    });

    it('others get 403 (404 when they cannot see it); an admin may delete', async () => {
      const post = await createPost(t, alice, 'moderated');
      expectProblem(await as(t, bob).delete(`/posts/${post.id}`), 403, 'forbidden');
      const hidden = await createPost(t, alice, { content: 'hidden', visibility: 'subscribers' });
      expectProblem(await as(t, bob).delete(`/posts/${hidden.id}`), 404, 'not_found');
      expectProblem(await as(t).delete(`/posts/${post.id}`), 401, 'unauthorized');
      await getPost(post.id).expect(200);

      const admin = await signIn(t, await createAdmin(t));
      await as(t, admin).delete(`/posts/${post.id}`).expect(204);
      await as(t, admin).delete(`/posts/${hidden.id}`).expect(204);
      expectProblem(await getPost(post.id, alice), 404, 'not_found');
      expectProblem(await getPost(hidden.id, alice), 404, 'not_found');
    });
  });

  describe('likes', () => {
    it('like and unlike are idempotent and move likes_count', async () => {
      const post = await createPost(t, alice, 'likeable');
      const liked = await as(t, bob).post(`/posts/${post.id}/like`).expect(200);
      expect(keysOf(liked.body)).toEqual(POST_KEYS);
      expect(liked.body).toMatchObject({ id: post.id, likes_count: 1, liked: true });
      expect((await as(t, bob).post(`/posts/${post.id}/like`).expect(200)).body).toMatchObject({ likes_count: 1, liked: true });
      expect((await as(t, carol).post(`/posts/${post.id}/like`).expect(200)).body).toMatchObject({ likes_count: 2, liked: true });
      expect((await getPost(post.id, alice).expect(200)).body).toMatchObject({ likes_count: 2, liked: false });

      expect((await as(t, bob).delete(`/posts/${post.id}/like`).expect(200)).body).toMatchObject({ likes_count: 1, liked: false });
      expect((await as(t, bob).delete(`/posts/${post.id}/like`).expect(200)).body).toMatchObject({ likes_count: 1, liked: false });
      expect((await getPost(post.id, carol).expect(200)).body).toMatchObject({ likes_count: 1, liked: true });
      expect(await t.em().count(Like, { post: post.id })).toBe(1);
      expectProblem(await as(t).post(`/posts/${post.id}/like`), 401, 'unauthorized');
    });

    it('a post the user may not see cannot be liked', async () => {
      const hidden = await createPost(t, alice, { content: 'followers only', visibility: 'followers' });
      expectProblem(await as(t, carol).post(`/posts/${hidden.id}/like`), 404, 'not_found');
      expectProblem(await as(t, carol).get(`/posts/${hidden.id}/likes`), 404, 'not_found');
      expect(await t.em().count(Like, { post: hidden.id })).toBe(0);
    });

    it('GET /posts/:id/likes lists the users who liked, newest first, page by page', async () => {
      const post = await createPost(t, alice, 'popular');
      const likers = await signedInUsers(t, 5);
      for (const liker of likers) await as(t, liker).post(`/posts/${post.id}/like`).expect(200);

      const first = await as(t).get(`/posts/${post.id}/likes?limit=2`).expect(200);
      expect(first.body.data).toHaveLength(2);
      expect(keysOf(first.body.data[0])).toEqual(PUBLIC_USER_KEYS);
      expect(first.body.data[0]).toMatchObject({ id: likers[4].id, username: likers[4].username });
      expect(first.headers.link).toMatch(/rel="next"$/);

      const pages = await allPages<{ id: string }>(as(t, bob), `/posts/${post.id}/likes`, 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat().map((u) => u.id)).toEqual(likers.map((u) => u.id).reverse());

      await suspend(t, likers[2]);
      const afterSuspension = await as(t).get(`/posts/${post.id}/likes`).expect(200);
      expect(afterSuspension.body.data.map((u: { id: string }) => u.id)).not.toContain(likers[2].id);
    });

    it('20 parallel likes by one user count once', async () => {
      const post = await createPost(t, alice, 'hammered');
      const answers = await Promise.all(Array.from({ length: 20 }, () => as(t, bob).post(`/posts/${post.id}/like`)));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect((await getPost(post.id).expect(200)).body.likes_count).toBe(1);
      expect(await t.em().count(Like, { post: post.id })).toBe(1);
    });

    it('50 users liking at once count 50, and the likes list pages through all of them', async () => {
      const post = await createPost(t, alice, 'viral');
      const crowd = await signedInUsers(t, 50);
      const answers = await Promise.all(crowd.map((u) => as(t, u).post(`/posts/${post.id}/like`)));
      expect(answers.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect((await getPost(post.id).expect(200)).body.likes_count).toBe(50);
      expect(await t.em().count(Like, { post: post.id })).toBe(50);

      const pages = await allPages<{ id: string }>(as(t), `/posts/${post.id}/likes`, 7);
      const seen = pages.flat().map((u) => u.id);
      expect(seen).toHaveLength(50);
      expect(new Set(seen)).toEqual(new Set(crowd.map((u) => u.id)));
    });
  });

  describe('reposts', () => {
    it('repost and unrepost are idempotent and move reposts_count', async () => {
      const post = await createPost(t, alice, 'worth sharing');
      const reposted = await as(t, bob).post(`/posts/${post.id}/repost`).expect(200);
      expect(keysOf(reposted.body)).toEqual(POST_KEYS);
      expect(reposted.body).toMatchObject({ id: post.id, reposts_count: 1, reposted: true });
      expect((await as(t, bob).post(`/posts/${post.id}/repost`).expect(200)).body).toMatchObject({ reposts_count: 1, reposted: true });
      expect((await as(t, carol).post(`/posts/${post.id}/repost`).expect(200)).body).toMatchObject({ reposts_count: 2, reposted: true });
      expect((await getPost(post.id, alice).expect(200)).body).toMatchObject({ reposts_count: 2, reposted: false });

      expect((await as(t, bob).delete(`/posts/${post.id}/repost`).expect(200)).body).toMatchObject({ reposts_count: 1, reposted: false });
      expect((await as(t, bob).delete(`/posts/${post.id}/repost`).expect(200)).body).toMatchObject({ reposts_count: 1, reposted: false });
      expect(await t.em().count(Post, { repostOf: post.id, deletedAt: null })).toBe(1);
    });

    it('20 parallel reposts by one user count once', async () => {
      const post = await createPost(t, alice, 'hammered repost');
      const before = await postsCount(carol.id);
      const answers = await Promise.all(Array.from({ length: 20 }, () => as(t, carol).post(`/posts/${post.id}/repost`)));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect((await getPost(post.id).expect(200)).body.reposts_count).toBe(1);
      expect(await t.em().count(Post, { repostOf: post.id, deletedAt: null })).toBe(1);
      // The reposter's posts_count (users') moves once, in the transaction that inserted the repost.
      expect(await postsCount(carol.id)).toBe(before + 1);
      await Promise.all(Array.from({ length: 20 }, () => as(t, carol).delete(`/posts/${post.id}/repost`).expect(200)));
      expect(await postsCount(carol.id)).toBe(before);
    });

    it("a repost reaches the reposter's followers' home timeline with repost_of filled", async () => {
      const reader = await createSignedInUser(t);
      const reposter = await createSignedInUser(t);
      await follow(t, reader, reposter);
      const post = await createPost(t, alice, 'original');

      await as(t, reposter).post(`/posts/${post.id}/repost`).expect(200);
      const home = (await as(t, reader).get('/timelines/home').expect(200)).body as PageBody;
      expect(home.data).toHaveLength(1);
      const [item] = home.data;
      expect(keysOf(item)).toEqual(POST_KEYS);
      expect(item.id).not.toBe(post.id);
      expect(item.author.id).toBe(reposter.id);
      expect(item.repost_of).toMatchObject({ id: post.id, author: { id: alice.id }, content: 'original', reposts_count: 1 });
      expect(keysOf(item.repost_of!)).toEqual(POST_KEYS);

      const own = (await as(t).get(`/users/${reposter.username}/posts`).expect(200)).body as PageBody;
      expect(own.data.map((p) => p.repost_of?.id)).toEqual([post.id]);

      // Liking the repost likes the original.
      expect((await as(t, reader).post(`/posts/${item.id}/like`).expect(200)).body).toMatchObject({ id: post.id, likes_count: 1, liked: true });

      await as(t, reposter).delete(`/posts/${post.id}/repost`).expect(200);
      expect((await as(t, reader).get('/timelines/home').expect(200)).body.data).toEqual([]);
    });

    it('a non-public post cannot be reposted', async () => {
      const fan = await createSignedInUser(t);
      await follow(t, fan, alice);
      const post = await createPost(t, alice, { content: 'followers only', visibility: 'followers' });
      expectProblem(await as(t, fan).post(`/posts/${post.id}/repost`), 422, 'validation_failed');
      expectProblem(await as(t, carol).post(`/posts/${post.id}/repost`), 404, 'not_found');
      expect((await getPost(post.id, alice).expect(200)).body.reposts_count).toBe(0);
    });
  });
});

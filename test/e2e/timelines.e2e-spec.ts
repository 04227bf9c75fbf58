import { HOME_PROBE_LIMIT } from '@/modules/timelines/timeline-pages';
import { expectProblem } from '../factories/http';
import { ApiClient, as, createPost, follow, ids, PageBody, PostBody, scan, signedInUsers, uniqueWord } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';

describe('Timelines', () => {
  const t = useTestApp({ redisScope: 'timelines' });

  /** Creates posts one after the other; answers them newest first, as the lists order them. */
  async function postSeries(authors: SignedInUser[], count: number, content: (i: number) => string = (i) => `post ${i} ${uniqueWord()}`): Promise<PostBody[]> {
    const created: PostBody[] = [];
    for (let i = 0; i < count; i++) created.push(await createPost(t, authors[i % authors.length], content(i)));
    return created.reverse();
  }

  /**
   * Reads page 1 (limit 3), lets new posts arrive, then follows the cursor to the end: the pages never repeat an
   * item, never skip one, and the items under test (`mine`) are exactly `old`, in order, without the arrivals.
   * On a shared list (the public timeline) the walk stops once past the oldest item under test.
   */
  async function expectStablePages(
    client: ApiClient,
    path: string,
    old: PostBody[],
    arrive: () => Promise<PostBody[]>,
    mine: (post: PostBody) => boolean = () => true,
  ): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    const oldest = old[old.length - 1];
    const first = await client.get(`${path}${sep}limit=3`).expect(200);
    expect(first.body.data).toHaveLength(3);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    expect(first.headers.link).toMatch(/^<[^>]+>; rel="next"$/);
    const seen: PostBody[] = [...first.body.data];
    const arrived = await arrive();
    expect(arrived.length).toBeGreaterThan(0);

    let cursor: string | null = first.body.next_cursor;
    while (cursor) {
      const res = await client.get(`${path}${sep}limit=3&cursor=${cursor}`).expect(200);
      const page = res.body as PageBody;
      expect(page.data.length).toBeLessThanOrEqual(3);
      if (page.next_cursor) expect(res.headers.link).toContain(`cursor=${page.next_cursor}`);
      else expect(res.headers.link).toBeUndefined();
      seen.push(...page.data);
      cursor = page.next_cursor;
      if (page.data.some((p) => p.created_at < oldest.created_at)) break;
    }
    const seenIds = seen.map((p) => p.id);
    expect(new Set(seenIds).size).toBe(seenIds.length);
    expect(seen.filter(mine).map((p) => p.id)).toEqual(old.map((p) => p.id));
    for (const post of arrived) expect(seenIds).not.toContain(post.id);
    // The arrivals are there for whoever starts again from the top.
    const again = await client.get(`${path}${sep}limit=100`).expect(200);
    expect(ids(again.body)).toEqual(expect.arrayContaining(arrived.filter(mine).map((p) => p.id)));
  }

  describe('GET /timelines/home', () => {
    it("holds the viewer's own posts and those of everyone they follow, reposts included, newest first", async () => {
      const [viewer, followed, stranger] = await signedInUsers(t, 3);
      await follow(t, viewer, followed);
      const own = await createPost(t, viewer, 'mine');
      const theirs = await createPost(t, followed, 'theirs');
      await createPost(t, stranger, 'not followed');
      const forFollowers = await createPost(t, followed, { content: 'followers only', visibility: 'followers' });
      const reply = await createPost(t, followed, { content: 'a reply', reply_to_id: own.id });
      const original = await createPost(t, stranger, 'reposted by the followed');
      await as(t, followed).post(`/posts/${original.id}/repost`).expect(200);

      const res = await as(t, viewer).get('/timelines/home').expect(200);
      const page = res.body as PageBody;
      expect(page.next_cursor).toBeNull();
      expect(res.headers.link).toBeUndefined();
      expect(page.data.map((p) => p.repost_of?.id ?? p.id)).toEqual([original.id, reply.id, forFollowers.id, theirs.id, own.id]);
      expect(page.data[0]).toMatchObject({ author: { id: followed.id }, content: '', repost_of: { id: original.id, author: { id: stranger.id } } });
      expectProblem(await as(t).get('/timelines/home'), 401, 'unauthorized');
    });

    it('pages never repeat or skip while posts arrive (few follows: per-author probes)', async () => {
      const [viewer, a, b] = await signedInUsers(t, 3);
      await follow(t, viewer, a);
      await follow(t, viewer, b);
      const old = await postSeries([a, b, viewer], 8);
      await expectStablePages(as(t, viewer), '/timelines/home', old, () => postSeries([a, b], 3));
    });

    it(`works the same past ${HOME_PROBE_LIMIT} follows (index walk), mutes included`, async () => {
      const viewer = await createSignedInUser(t);
      const authors = await signedInUsers(t, HOME_PROBE_LIMIT + 3);
      for (const author of authors) await follow(t, viewer, author);
      const [muted, reposter, ...others] = authors;
      const stranger = await createSignedInUser(t);
      await createPost(t, stranger, 'not followed');
      const mutedPost = await createPost(t, muted, 'muted');
      await as(t, reposter).post(`/posts/${mutedPost.id}/repost`).expect(200);
      await as(t, viewer).post(`/users/${muted.username}/mute`).expect(200);

      const old = await postSeries([...others, reposter], others.length + 1);
      const first = await as(t, viewer).get('/timelines/home?limit=100').expect(200);
      expect(ids(first.body)).toEqual(old.map((p) => p.id));
      await expectStablePages(as(t, viewer), '/timelines/home', old.slice(0, 8), () => postSeries(others.slice(0, 3), 3), (p) =>
        old.slice(0, 8).some((o) => o.id === p.id),
      );
    });
  });

  describe('GET /timelines/public', () => {
    it('holds public original posts only, newest first, for anyone', async () => {
      const [author, other] = await signedInUsers(t, 2);
      const first = await createPost(t, author, 'public one');
      const hidden = await createPost(t, author, { content: 'followers only', visibility: 'followers' });
      const forSubscribers = await createPost(t, author, { content: 'subscribers only', visibility: 'subscribers' });
      const reply = await createPost(t, other, { content: 'a public reply', reply_to_id: first.id });
      await as(t, other).post(`/posts/${first.id}/repost`).expect(200);
      const second = await createPost(t, author, 'public two');

      for (const viewer of [undefined, other, author]) {
        const mine = (await scan(as(t, viewer), '/timelines/public', first.created_at)).filter((p) => [author.id, other.id].includes(p.author.id));
        expect(mine.map((p) => p.id)).toEqual([second.id, reply.id, first.id]);
        expect(mine.map((p) => p.id)).not.toEqual(expect.arrayContaining([hidden.id, forSubscribers.id]));
      }
    });

    it('pages never repeat or skip while posts arrive', async () => {
      const authors = await signedInUsers(t, 2);
      const old = await postSeries(authors, 7);
      const authorIds = authors.map((a) => a.id);
      await expectStablePages(as(t), '/timelines/public', old, () => postSeries(authors, 3), (p) => authorIds.includes(p.author.id));
    });
  });

  describe('GET /tags/:tag/posts', () => {
    it('holds the public posts with that hashtag, in any case, newest first', async () => {
      const [author, follower] = await signedInUsers(t, 2);
      await follow(t, follower, author);
      const tag = uniqueWord('Tl');
      const first = await createPost(t, author, `#${tag} first`);
      await createPost(t, author, { content: `#${tag} followers only`, visibility: 'followers' });
      await createPost(t, author, `#${tag}x is another tag`);
      const second = await createPost(t, follower, `second #${tag.toUpperCase()}`);
      for (const asked of [tag, tag.toLowerCase(), `%23${tag.toUpperCase()}`]) {
        expect(ids((await as(t, follower).get(`/tags/${asked}/posts`).expect(200)).body)).toEqual([second.id, first.id]);
      }
      expectProblem(await as(t).get('/tags/not-a-tag!/posts'), 400, 'validation_failed');
    });

    it('pages never repeat or skip while posts arrive', async () => {
      const authors = await signedInUsers(t, 2);
      const tag = uniqueWord('pg');
      const old = await postSeries(authors, 7, (i) => `#${tag} ${i}`);
      await expectStablePages(as(t, authors[0]), `/tags/${tag}/posts`, old, () => postSeries(authors, 3, (i) => `#${tag} new ${i}`));
    });
  });

  describe('GET /users/:username/posts', () => {
    it("holds the user's posts, replies and reposts, newest first", async () => {
      const [author, other] = await signedInUsers(t, 2);
      const original = await createPost(t, other, 'by someone else');
      const own = await createPost(t, author, 'own');
      const reply = await createPost(t, author, { content: 'reply', reply_to_id: original.id });
      await as(t, author).post(`/posts/${original.id}/repost`).expect(200);
      const res = await as(t).get(`/users/${author.username.toUpperCase()}/posts`).expect(200);
      expect(res.body.data.map((p: PostBody) => p.repost_of?.id ?? p.id)).toEqual([original.id, reply.id, own.id]);
      expectProblem(await as(t).get(`/users/${uniqueWord('nobody')}/posts`), 404, 'not_found');
    });

    it('pages never repeat or skip while posts arrive, reposts included', async () => {
      const [author, other] = await signedInUsers(t, 2);
      const originals = await postSeries([other], 3);
      const old: PostBody[] = [];
      for (let i = 0; i < 7; i++) {
        if (i % 3 === 2) {
          await as(t, author).post(`/posts/${originals[(i - 2) / 3].id}/repost`).expect(200);
          const [repost] = (await as(t).get(`/users/${author.username}/posts?limit=1`).expect(200)).body.data;
          old.unshift(repost);
        } else {
          old.unshift(await createPost(t, author, `own ${i}`));
        }
      }
      await expectStablePages(as(t, other), `/users/${author.username}/posts`, old, () => postSeries([author], 3));
    });
  });

  describe('lists', () => {
    it('default to 20 items and accept up to 100', async () => {
      const [author] = await signedInUsers(t, 1);
      await postSeries([author], 21);
      const res = await as(t).get(`/users/${author.username}/posts`).expect(200);
      expect(res.body.data).toHaveLength(20);
      expect(res.body.next_cursor).toEqual(expect.any(String));
      expect((await as(t).get(`/users/${author.username}/posts?limit=100`).expect(200)).body.data).toHaveLength(21);
    });

    it('follow the Link header to the next page', async () => {
      const [author] = await signedInUsers(t, 1);
      const old = await postSeries([author], 5);
      const first = await as(t).get(`/users/${author.username}/posts?limit=2`).expect(200);
      const link = /^<([^>]+)>; rel="next"$/.exec(first.headers.link)![1];
      const url = new URL(link);
      expect(url.pathname).toBe(`/api/v1/users/${author.username}/posts`);
      expect(url.searchParams.get('limit')).toBe('2');
      expect(url.searchParams.get('cursor')).toBe(first.body.next_cursor);
      const second = await t.http.get(`${url.pathname}${url.search}`).expect(200);
      expect(ids(second.body)).toEqual([old[2].id, old[3].id]);
    });

    it('refuse an invalid cursor and a limit outside 1-100', async () => {
      const viewer = await createSignedInUser(t);
      const paths = ['/timelines/home', '/timelines/public', `/tags/${uniqueWord()}/posts`, `/users/${viewer.username}/posts`];
      const badCursors = ['garbage', Buffer.from('not|a-cursor').toString('base64url'), Buffer.from(`2026-01-01T00:00:00.000Z|x`).toString('base64url')];
      for (const path of paths) {
        for (const cursor of badCursors) expectProblem(await as(t, viewer).get(`${path}?cursor=${cursor}`), 400, 'validation_failed');
        for (const limit of ['101', '0', '-1', 'ten', '2.5']) expectProblem(await as(t, viewer).get(`${path}?limit=${limit}`), 400, 'validation_failed');
        expectProblem(await as(t, viewer).get(`${path}?page=2`), 400, 'validation_failed');
        await as(t, viewer).get(`${path}?limit=100`).expect(200);
      }
    });
  });
});

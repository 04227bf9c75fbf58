import { DiscoveryRefreshService } from '@/modules/search/discovery-refresh.service';
import { expectProblem } from '../factories/http';
import { ApiClient, as, createPost, follow, ids, PageBody, PostBody, signedInUsers, subscribe, uniqueWord, unlock } from '../factories/posts';
import { createAdmin, createSignedInUser, signIn, SignedInUser, uniqueUsername } from '../factories/users';
import { useTestApp } from '../support/app';
import { waitFor } from '../support/wait';

interface UserBody {
  id: string;
  username: string;
  display_name: string | null;
  followers_count: number;
}

interface HashtagBody {
  name: string;
  posts_count: number;
  last_used_at: string;
}

describe('Search and discovery', () => {
  const t = useTestApp({ redisScope: 'search' });

  const search = (client: ApiClient, type: string, q: string, extra = '') =>
    client.get(`/search?type=${type}&q=${encodeURIComponent(q)}${extra}`);
  const findPosts = async (viewer: SignedInUser | undefined, q: string): Promise<PostBody[]> =>
    (await search(as(t, viewer), 'posts', q, '&limit=100').expect(200)).body.data;
  const findUsers = async (viewer: SignedInUser | undefined, q: string): Promise<UserBody[]> =>
    (await search(as(t, viewer), 'users', q, '&limit=100').expect(200)).body.data;
  const hashtags = async (q: string): Promise<HashtagBody[]> => (await search(as(t), 'hashtags', q, '&limit=100').expect(200)).body.data;
  const refresh = (withStats = true) => t.app.get(DiscoveryRefreshService, { strict: false }).refresh({ withStats });
  const act = async (actor: SignedInUser, verb: 'block' | 'mute', target: SignedInUser) =>
    as(t, actor).post(`/users/${target.username}/${verb}`).expect(200);

  describe('GET /search?type=posts', () => {
    it('matches posts holding every word, in any case and without accents, newest first', async () => {
      const [author, viewer] = await signedInUsers(t, 2);
      const w = uniqueWord();
      const both = await createPost(t, author, `Un CAFÉ crème ${w} ce matin`);
      const cyrillic = await createPost(t, author, `Привет, мир! ${w}`);
      await createPost(t, author, `only one word ${w}`);

      expect(ids({ data: await findPosts(viewer, `cafe creme ${w}`) })).toEqual([both.id]);
      expect(ids({ data: await findPosts(viewer, `ПРИВЕТ ${w.toUpperCase()}`) })).toEqual([cyrillic.id]);
      expect(ids({ data: await findPosts(viewer, w) })).toHaveLength(3);
      expect((await findPosts(viewer, w))[0].created_at >= (await findPosts(viewer, w))[2].created_at).toBe(true);
    });

    it('matches a quoted phrase only with its words in order, and excludes -words', async () => {
      const [author] = await signedInUsers(t, 1);
      const w = uniqueWord();
      const phrase = await createPost(t, author, `${w} the new song is out`);
      const apart = await createPost(t, author, `${w} a song that is new`);

      expect(ids({ data: await findPosts(author, `${w} "new song"`) })).toEqual([phrase.id]);
      expect(ids({ data: await findPosts(author, `${w} song -that`) })).toEqual([phrase.id]);
      expect(ids({ data: await findPosts(author, `${w} song`) }).sort()).toEqual([phrase.id, apart.id].sort());
    });

    it('finds #tag through the hashtags and from:username by author, alone or with words', async () => {
      const [ana, bob, viewer] = await signedInUsers(t, 3);
      const tag = uniqueWord('tag');
      const w = uniqueWord();
      const anaTagged = await createPost(t, ana, `sketch #${tag} ${w}`);
      const bobTagged = await createPost(t, bob, `photo #${tag}`);
      const anaPlain = await createPost(t, ana, `sketch ${w}`);

      expect(ids({ data: await findPosts(viewer, `#${tag.toUpperCase()}`) })).toEqual([bobTagged.id, anaTagged.id]);
      expect(ids({ data: await findPosts(viewer, `#${tag} sketch`) })).toEqual([anaTagged.id]);
      expect(ids({ data: await findPosts(viewer, `from:${ana.username} ${w}`) })).toEqual([anaPlain.id, anaTagged.id]);
      expect(ids({ data: await findPosts(viewer, `from:@${ana.username} #${tag}`) })).toEqual([anaTagged.id]);
      expect(await findPosts(viewer, `from:${ana.username} from:${bob.username}`)).toEqual([]);
      expect(await findPosts(viewer, `from:${uniqueUsername('nobody')}`)).toEqual([]);
    });

    it('answers an empty page for a query with nothing to match', async () => {
      const res = await search(as(t), 'posts', '!!! -- ""').expect(200);
      expect(res.body).toEqual({ data: [], next_cursor: null });
    });

    it.each([
      ['one word (planned as is)', (w: string) => w],
      ['two words (time windows before the cursor)', (w: string) => `${w} item`],
    ])('pages by cursor without repeating or skipping while posts arrive: %s', async (_, query) => {
      const [author, viewer] = await signedInUsers(t, 2);
      const w = uniqueWord();
      const q = query(w);
      const old: PostBody[] = [];
      for (let i = 0; i < 7; i++) old.unshift(await createPost(t, author, `${w} item number ${i}`));

      const first = await search(as(t, viewer), 'posts', q, '&limit=3').expect(200);
      expect(first.headers.link).toMatch(/rel="next"/);
      const arrived = [await createPost(t, author, `${w} item late one`), await createPost(t, author, `${w} item late two`)];
      const seen: PostBody[] = [...first.body.data];
      let cursor: string | null = first.body.next_cursor;
      while (cursor) {
        const page = (await search(as(t, viewer), 'posts', q, `&limit=3&cursor=${cursor}`).expect(200)).body as PageBody;
        seen.push(...page.data);
        cursor = page.next_cursor;
      }
      expect(seen.map((p) => p.id)).toEqual(old.map((p) => p.id));
      expect(ids({ data: await findPosts(viewer, q) }).slice(0, 2)).toEqual(arrived.map((p) => p.id).reverse());
    });

    describe('never finds what the viewer may not read', () => {
      it('followers-only posts: only for followers and the author', async () => {
        const [author, follower, stranger] = await signedInUsers(t, 3);
        await follow(t, follower, author);
        const w = uniqueWord();
        const post = await createPost(t, author, { content: `for followers ${w}`, visibility: 'followers' });

        expect(ids({ data: await findPosts(follower, w) })).toEqual([post.id]);
        expect(ids({ data: await findPosts(author, w) })).toEqual([post.id]);
        expect(await findPosts(stranger, w)).toEqual([]);
        expect(await findPosts(undefined, w)).toEqual([]);
      });

      it('subscribers-only posts: only for subscribers with access', async () => {
        const [creator, fan, lapsed, stranger] = await signedInUsers(t, 4);
        await subscribe(t, fan, creator);
        await subscribe(t, lapsed, creator, { status: 'canceled' });
        const w = uniqueWord();
        const post = await createPost(t, creator, { content: `for subscribers ${w}`, visibility: 'subscribers' });

        expect(ids({ data: await findPosts(fan, w) })).toEqual([post.id]);
        expect(await findPosts(lapsed, w)).toEqual([]);
        expect(await findPosts(stranger, w)).toEqual([]);
      });

      it('a premium post: by its content for its author, subscribers and buyers (issue 22); by its preview only for others', async () => {
        const [creator, subscriber, buyer, follower, stranger] = await signedInUsers(t, 5);
        await subscribe(t, subscriber, creator);
        await follow(t, follower, creator);
        const [hidden, hiddenPaid, teaser, secretTag, paidTag] = ['hidden', 'paid', 'teaser', 'secret', 'paidtag'].map((n) => uniqueWord(n));
        const forSubscribers = await createPost(t, creator, { content: `${hidden} for subscribers #${secretTag}`, preview: `${teaser} a taste`, is_premium: true });
        const payPerView = await createPost(t, creator, { content: `${hiddenPaid} behind the paywall #${paidTag}`, preview: `${teaser} another taste`, price_cents: 300 });
        await unlock(t, buyer, payPerView);

        const found = async (viewer: SignedInUser | undefined, q: string) => ids({ data: await findPosts(viewer, q) });
        // Subscriber access opens the unpriced post, a purchase the priced one; the author reads both.
        for (const reader of [creator, subscriber]) {
          expect(await found(reader, hidden)).toEqual([forSubscribers.id]);
          expect(await found(reader, `#${secretTag}`)).toEqual([forSubscribers.id]);
        }
        for (const reader of [creator, buyer]) {
          expect(await found(reader, hiddenPaid)).toEqual([payPerView.id]);
          expect(await found(reader, `#${paidTag}`)).toEqual([payPerView.id]);
        }
        expect((await findPosts(subscriber, hidden))[0]).toMatchObject({ locked: false, content: `${hidden} for subscribers #${secretTag}` });
        expect((await findPosts(buyer, hiddenPaid))[0]).toMatchObject({ locked: false, content: `${hiddenPaid} behind the paywall #${paidTag}` });
        // Nobody else finds either by what they may not read: not the buyer of the other, not a subscriber a
        // pay-per-view post, not a follower, not a stranger, not a visitor.
        expect(await found(buyer, hidden)).toEqual([]);
        expect(await found(subscriber, hiddenPaid)).toEqual([]);
        for (const other of [follower, stranger, undefined]) {
          expect(await found(other, hidden)).toEqual([]);
          expect(await found(other, hiddenPaid)).toEqual([]);
          expect(await found(other, `#${secretTag}`)).toEqual([]);
          expect(await found(other, `#${paidTag}`)).toEqual([]);
        }
        // By the preview, everyone finds both, locked: the teaser and nothing of the content.
        for (const other of [follower, stranger, undefined]) {
          const byTeaser = await findPosts(other, teaser);
          expect(byTeaser.map((p) => p.id).sort()).toEqual([forSubscribers.id, payPerView.id].sort());
          for (const post of byTeaser) expect(post).toMatchObject({ locked: true, content: null, content_html: null });
        }
        await refresh();
        expect((await search(as(t, stranger), 'hashtags', secretTag).expect(200)).body.data).toEqual([]);
      });

      it("a locked post's hidden hashtag is not confirmed by a preview that merely holds the word (issue 23, N8)", async () => {
        const [creator, stranger, subscriber] = await signedInUsers(t, 3);
        await subscribe(t, subscriber, creator);
        const [word, tagged] = [uniqueWord('guess'), uniqueWord('shown')];
        const guessed = await createPost(t, creator, { content: `the secret is #${word}`, preview: `is it ${word}? subscribe to know`, is_premium: true });
        const shown = await createPost(t, creator, { content: `more under #${tagged}`, preview: `a teaser #${tagged}`, is_premium: true });

        for (const viewer of [stranger, undefined]) {
          expect(await findPosts(viewer, `#${word}`)).toEqual([]);
          expect(ids((await as(t, viewer).get(`/tags/${word}/posts`).expect(200)).body)).toEqual([]);
          // A tag the preview carries itself lists the post, locked.
          expect(await findPosts(viewer, `#${tagged}`)).toEqual([expect.objectContaining({ id: shown.id, locked: true, content: null })]);
        }
        // The subscriber reads the content: its tag finds the post.
        expect(ids({ data: await findPosts(subscriber, `#${word}`) })).toEqual([guessed.id]);
      });

      it('blocks, both ways, and muted authors', async () => {
        const [viewer, blocker, blocked, muted] = await signedInUsers(t, 4);
        const w = uniqueWord();
        await createPost(t, blocker, `by the blocker ${w}`);
        await createPost(t, blocked, `by the blocked ${w}`);
        await createPost(t, muted, `by the muted ${w}`);
        expect(await findPosts(viewer, w)).toHaveLength(3);

        await act(blocker, 'block', viewer);
        await act(viewer, 'block', blocked);
        await act(viewer, 'mute', muted);
        expect(await findPosts(viewer, w)).toEqual([]);
        expect(await findUsers(viewer, blocker.username)).toEqual([]);
        expect(await findUsers(viewer, blocked.username)).toEqual([]);
        expect(await findUsers(blocker, viewer.username)).toEqual([]);
        expect((await findUsers(viewer, muted.username)).map((u) => u.id)).toEqual([muted.id]);
      });

      it('a short page is never padded from, nor leaks, hidden posts (the rule is inside the query)', async () => {
        const [author, stranger] = await signedInUsers(t, 2);
        const w = uniqueWord();
        const visible = await createPost(t, author, `${w} public`);
        for (let i = 0; i < 5; i++) await createPost(t, author, { content: `${w} hidden ${i}`, visibility: 'followers' });
        const res = await search(as(t, stranger), 'posts', w, '&limit=1').expect(200);
        expect(res.body).toEqual({ data: [expect.objectContaining({ id: visible.id })], next_cursor: null });
      });
    });
  });

  describe('GET /search?type=users', () => {
    it('finds a username prefix and display-name words, accents and case folded, exact username first, then by followers', async () => {
      const base = uniqueUsername('zz').slice(0, 20);
      const exact = await createSignedInUser(t, { username: base, displayName: 'Plain' });
      const popular = await createSignedInUser(t, { username: `${base}_pop`, displayName: 'Popular' });
      const quiet = await createSignedInUser(t, { username: `${base}_q`, displayName: 'Quiet' });
      const [fan1, fan2] = await signedInUsers(t, 2);
      await follow(t, fan1, popular);
      await follow(t, fan2, popular);
      await follow(t, fan1, quiet);

      const found = await findUsers(fan1, base.toUpperCase());
      expect(found.map((u) => u.id)).toEqual([exact.id, popular.id, quiet.id]);

      const word = uniqueWord('zoe').slice(0, 9);
      const accented = await createSignedInUser(t, { displayName: `Zoë ${word}É Müller` });
      const cyrillic = await createSignedInUser(t, { displayName: `Пётр ${word} Иванов` });
      expect((await findUsers(fan1, `${word}e`)).map((u) => u.id)).toEqual([accented.id]);
      expect((await findUsers(fan1, `MULLER ${word}`)).map((u) => u.id)).toEqual([accented.id]);
      expect((await findUsers(fan1, `ПЕТР ${word}`)).map((u) => u.id)).toEqual([cyrillic.id]);
      expect(await findUsers(fan1, `uller ${word}`)).toEqual([]);
    });

    it('pages by rank and id', async () => {
      const base = uniqueUsername('pg').slice(0, 20);
      const users = [];
      for (let i = 0; i < 5; i++) users.push(await createSignedInUser(t, { username: `${base}_${i}` }));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: PageBody<UserBody> } = await search(as(t, users[0]), 'users', base, `&limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
        seen.push(...(res.body.data as UserBody[]).map((u) => u.id));
        cursor = res.body.next_cursor;
      } while (cursor);
      expect(seen.sort()).toEqual(users.map((u) => u.id).sort());
    });
  });

  describe('GET /search?type=hashtags', () => {
    it('lists hashtags with public uses by prefix, most used first, with counts and paging', async () => {
      const [a, b] = await signedInUsers(t, 2);
      const prefix = uniqueWord('ht');
      await createPost(t, a, `#${prefix}big one`);
      await createPost(t, b, `#${prefix}big two`);
      await createPost(t, a, `#${prefix}small`);
      await createPost(t, a, { content: `#${prefix}private`, visibility: 'followers' });
      await refresh(false); // the 30-second refresh: new tags appear without waiting for the hourly rebuild

      const res = await search(as(t), 'hashtags', `#${prefix.toUpperCase()}`).expect(200);
      const tags = res.body.data as HashtagBody[];
      expect(tags.map((h) => [h.name, h.posts_count])).toEqual([[`${prefix}big`, 2], [`${prefix}small`, 1]]);
      expect(new Date(tags[0].last_used_at).getTime()).toBeGreaterThan(Date.now() - 60_000);

      const first = await search(as(t), 'hashtags', prefix, '&limit=1').expect(200);
      const second = await search(as(t), 'hashtags', prefix, `&limit=1&cursor=${first.body.next_cursor}`).expect(200);
      expect([...first.body.data, ...second.body.data].map((h: HashtagBody) => h.name)).toEqual([`${prefix}big`, `${prefix}small`]);
      expect(second.body.next_cursor).toBeNull();

      await refresh(true); // the hourly rebuild agrees
      expect((await search(as(t), 'hashtags', prefix).expect(200)).body.data).toEqual(tags);
    });
  });

  describe('validation', () => {
    it.each([
      ['q missing', '/search?type=posts'],
      ['q too long', `/search?type=posts&q=${'a'.repeat(201)}`],
      ['unknown type', '/search?type=statuses&q=a'],
      ['unknown parameter', '/search?type=posts&q=a&sort=old'],
      ['a forged posts cursor', '/search?type=posts&q=a&cursor=bm9wZQ'],
      ['a forged users cursor', `/search?type=users&q=a&cursor=${Buffer.from('[1,"x","y"]').toString('base64url')}`],
      ['a trending limit above 20', '/tags/trending?limit=21'],
    ])('refuses %s', async (_, path) => {
      expectProblem(await as(t).get(path), 400, 'validation_failed');
    });

    it('asks for a signed-in viewer for suggestions, with a limit up to 40', async () => {
      expectProblem(await as(t).get('/users/suggestions'), 401, 'unauthorized');
      const [viewer] = await signedInUsers(t, 1);
      expectProblem(await as(t, viewer).get('/users/suggestions?limit=41'), 400, 'validation_failed');
    });
  });

  describe('GET /tags/trending', () => {
    it('ranks hashtags by distinct authors of public posts in the last 24 hours, never from hidden posts', async () => {
      const authors = await signedInUsers(t, 3);
      const [wide, busy, hidden, premium] = ['wide', 'busy', 'hidden', 'paid'].map((n) => uniqueWord(n));
      for (const author of authors) await createPost(t, author, `#${wide}`);
      for (let i = 0; i < 4; i++) await createPost(t, authors[0], `#${busy} ${i}`);
      await createPost(t, authors[1], { content: `#${hidden}`, visibility: 'followers' });
      await createPost(t, authors[2], { content: `#${premium}`, is_premium: true, preview: 'no tag here' });
      await refresh();

      const res = await as(t).get('/tags/trending?limit=20').expect(200);
      const names = (res.body.data as { name: string }[]).map((x) => x.name);
      expect(res.body.data).toEqual(
        expect.arrayContaining([
          { name: wide, authors_count: 3, posts_count: 3 },
          { name: busy, authors_count: 1, posts_count: 4 },
        ]),
      );
      expect(names.indexOf(wide)).toBeLessThan(names.indexOf(busy));
      expect(names).not.toContain(hidden);
      expect(names).not.toContain(premium);
    });
  });

  describe('removed posts in discovery (issue 23, N5)', () => {
    it("drops a removed post's hashtag from trending within a minute, and from the hashtag counts", async () => {
      const [author, reporter] = await signedInUsers(t, 2);
      const admin = await signIn(t, await createAdmin(t));
      const tag = uniqueWord('removed');
      const post = await createPost(t, author, `soon removed #${tag}`);
      await refresh();
      const trending = async () => ((await as(t).get('/tags/trending?limit=20').expect(200)).body.data as { name: string }[]).map((x) => x.name);
      expect(await trending()).toContain(tag);
      expect(await hashtags(`#${tag}`)).toEqual([expect.objectContaining({ name: tag, posts_count: 1 })]);

      const { id } = (await as(t, reporter).post('/reports', { post_id: post.id, reason: 'abuse' }).expect(201)).body;
      await as(t, admin).post(`/admin/reports/${id}/resolve`, { action: 'remove_post' }).expect(200);
      // No manual refresh: the workers' own 30-second refresh must drop it.
      expect(await waitFor(trending, (names) => !names.includes(tag), 65_000, 1_000)).not.toContain(tag);
      // The full count (hourly, and at start) no longer counts it either.
      await refresh();
      expect(await hashtags(`#${tag}`)).toEqual([]);
    }, 90_000);
  });

  describe('GET /users/suggestions', () => {
    it('suggests friends of friends by how many followees follow them, then popular accounts, with every exclusion', async () => {
      const [viewer, a, b, twice, once, blocked, blocker, muted] = await signedInUsers(t, 8);
      await follow(t, viewer, a);
      await follow(t, viewer, b);
      for (const target of [twice, once, blocked, blocker, muted, b, viewer]) await follow(t, a, target);
      await follow(t, b, twice);
      await act(viewer, 'block', blocked);
      await act(blocker, 'block', viewer);
      await act(viewer, 'mute', muted);

      const res = await as(t, viewer).get('/users/suggestions?limit=40').expect(200);
      const suggested = (res.body.data as UserBody[]).map((u) => u.id);
      expect(suggested.slice(0, 2)).toEqual([twice.id, once.id]);
      for (const excluded of [viewer, a, b, blocked, blocker, muted]) expect(suggested).not.toContain(excluded.id);
      expect(suggested.length).toBeGreaterThan(2); // popular accounts fill the rest
      expect(new Set(suggested).size).toBe(suggested.length);
    });
  });
});

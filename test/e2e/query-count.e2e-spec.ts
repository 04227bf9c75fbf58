import { randomUUID } from 'node:crypto';
import { PostUnlock } from '@/modules/billing/entities/post-unlock.entity';
import { Subscription } from '@/modules/billing/entities/subscription.entity';
import { Media } from '@/modules/media/entities/media.entity';
import { Hashtag } from '@/modules/posts/entities/hashtag.entity';
import { Like } from '@/modules/posts/entities/like.entity';
import { PostHashtag } from '@/modules/posts/entities/post-hashtag.entity';
import { Post } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import { ApiClient, as, createPost, follow, PageBody, PostBody, signedInUsers, uniqueWord } from '../factories/posts';
import { SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { QueryCounter, QueryLog } from '../support/query-counter';

const POSTS = 80;
/** Far in the past, so that posts other suites create meanwhile always sort above the fixture. */
const BASE = Date.UTC(2001, 0, 1);
const ORIGINALS_BASE = Date.UTC(2000, 0, 1);

/**
 * No N+1: a page of 50 costs the same number of SQL statements as a page of 5. The fixture mixes, in every
 * window of 4 posts, media, likes, reposts of other authors' (partly locked) posts, premium posts open through a
 * subscription, and pay-per-view posts both bought and not, so that the page of 5 already needs every batched
 * look-up the page of 50 does.
 */
describe('SQL statements per timeline page', () => {
  // The API role only: no outbox relay or workers querying in the background while we count.
  const t = useTestApp({ redisScope: 'query-count', env: { APP_ROLE: 'api' } });
  const counter = new QueryCounter();
  let viewer: SignedInUser;
  let heavyViewer: SignedInUser;
  let main: SignedInUser;
  let tag: string;
  let newestPublicId: string;
  const counts: Record<string, { five: number; fifty: number }> = {};
  const interactions: Record<string, { answer: number; action: number }> = {};

  beforeAll(async () => {
    const [v, heavy, a1, a2, a3] = await signedInUsers(t, 5);
    [viewer, heavyViewer, main] = [v, heavy, a1];
    const extras = await signedInUsers(t, 22);
    for (const author of [a1, a2, a3]) {
      await follow(t, viewer, author);
      await follow(t, heavyViewer, author);
    }
    // Past the per-author probe limit, the home timeline takes its other plan: count that one too.
    for (const extra of extras) await follow(t, heavyViewer, extra);
    tag = uniqueWord('qc');
    newestPublicId = await insertFixture(a1, a2, a3, [viewer, heavyViewer]);
    counter.install();
  });

  afterAll(async () => {
    counter.uninstall();
    // QUERY_COUNT_REPORT=1 prints what was measured.
    if (process.env.QUERY_COUNT_REPORT) {
      const lines = Object.entries(counts).map(([route, c]) => `  ${route}: ${c.five} vs ${c.fifty}`);
      const acts = Object.entries(interactions).map(([route, c]) => `  ${route}: ${c.action} (rendering its answer alone: ${c.answer})`);
      console.info(`SQL statements per page (limit 5 vs 50):\n${lines.join('\n')}\nSQL statements per interaction:\n${acts.join('\n')}`);
    }
  });

  async function insertFixture(a1: SignedInUser, a2: SignedInUser, a3: SignedInUser, viewers: SignedInUser[]): Promise<string> {
    const em = t.em();
    const ref = (user: SignedInUser) => em.getReference(User, user.id);
    const hashtag = em.create(Hashtag, { name: tag });
    const withMedia = (post: Post, owner: SignedInUser) => {
      const key = `test/${randomUUID()}.jpg`;
      em.create(Media, { user: ref(owner), post, position: 0, type: 'image', status: 'ready', url: `https://media.example.test/${key}`, storageKey: key, mimeType: 'image/jpeg' });
    };
    for (const v of viewers) {
      em.create(Subscription, { subscriber: ref(v), creator: ref(a1), status: 'active', priceCents: 500, currentPeriodEnd: new Date(Date.now() + 86_400_000) });
    }
    // Originals to repost: public posts of A2, and premium posts of A3 (locked for the viewers: no subscription).
    const originals: Post[] = [];
    for (let i = 0; i < POSTS / 4; i++) {
      const premium = i % 2 === 1;
      const author = premium ? a3 : a2;
      const post = em.create(Post, {
        author: ref(author),
        content: `original ${i}`,
        contentHtml: `<p>original ${i}</p>`,
        isPremium: premium,
        preview: premium ? 'teaser' : null,
        createdAt: new Date(ORIGINALS_BASE + i * 1000),
      });
      withMedia(post, author);
      originals.push(post);
    }
    let newestPublic = '';
    for (let i = 0; i < POSTS; i++) {
      const at = new Date(BASE + i * 1000);
      const kind = i % 4;
      const author = kind === 0 && i % 8 === 4 ? a2 : a1;
      if (kind === 3) {
        em.create(Post, { author: ref(author), content: '', repostOf: originals[(i - 3) / 4], createdAt: at });
        continue;
      }
      const post = em.create(Post, {
        author: ref(author),
        content: `post ${i} #${tag}`,
        contentHtml: `<p>post ${i} #${tag}</p>`,
        visibility: kind === 0 && i % 16 === 8 ? 'followers' : 'public',
        isPremium: kind !== 0,
        priceCents: kind === 2 ? 500 : null,
        // The tag in the teaser too: a locked post is listed under a tag only by its preview's tags.
        preview: kind !== 0 ? `teaser ${i} #${tag}` : null,
        likesCount: kind === 0 ? viewers.length : 0,
        createdAt: at,
      });
      withMedia(post, author);
      if (post.visibility === 'public') {
        em.create(PostHashtag, { hashtag, post, createdAt: at });
        newestPublic = post.id;
      }
      for (const v of viewers) {
        if (kind === 0) em.create(Like, { user: ref(v), post, createdAt: at });
        // Half the pay-per-view posts are bought: the other half stays locked, even for subscribers.
        if (kind === 2 && i % 8 === 2) em.create(PostUnlock, { user: ref(v), post, priceCents: 500, status: 'paid' });
      }
    }
    // A sentinel just above the fixture, so that a cursor can always start the public timeline right below it.
    em.create(Post, { author: ref(a2), content: 'sentinel', contentHtml: '<p>sentinel</p>', createdAt: new Date(BASE + POSTS * 1000) });
    await em.flush();
    return newestPublic;
  }

  /**
   * A cursor that starts the public timeline at the fixture's newest post, found by walking the pages (other
   * suites keep adding current posts above it). Checked after the fact, in case posts arrived meanwhile.
   */
  async function publicCursorAtFixture(client: ApiClient): Promise<string> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let cursor: string | undefined;
      for (;;) {
        const page = (await client.get(`/timelines/public?limit=100${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body as PageBody;
        const index = page.data.findIndex((p) => p.id === newestPublicId);
        if (index >= 0) {
          const before =
            index === 0
              ? cursor
              : ((await client.get(`/timelines/public?limit=${index}${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body as PageBody).next_cursor;
          if (!before) continue;
          const check = (await client.get(`/timelines/public?limit=1&cursor=${before}`).expect(200)).body as PageBody;
          if (check.data[0]?.id === newestPublicId) return before;
          break;
        }
        if (!page.next_cursor) throw new Error('the fixture is not on the public timeline');
        cursor = page.next_cursor;
      }
    }
    throw new Error('could not place a cursor at the fixture');
  }

  /** Statements without their values, sorted (batched look-ups run in parallel, in no fixed order). */
  function shapes(log: QueryLog): string[] {
    return log.statements
      .map((sql) =>
        sql
          .replace(/'(?:[^']|'')*'/g, '?')
          .replace(/\b\d+(\.\d+)?\b/g, '?')
          .replace(/\(\s*\$?\?(\s*,\s*\$?\?)*\s*\)/g, '(?)'),
      )
      .sort();
  }

  async function measure(client: ApiClient, path: string): Promise<QueryLog & { items: number }> {
    let items = 0;
    const log = await counter.measure(async () => {
      const res = await client.get(path).expect(200);
      items = (res.body as PageBody).data.length;
    });
    return { ...log, items };
  }

  /** Warms up (session cache, pool), then counts a page of 5 and a page of 50, and the page of 5 again. */
  async function expectSameCount(route: string, client: ApiClient, path: string): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    await client.get(`${path}${sep}limit=5`).expect(200);
    const five = await measure(client, `${path}${sep}limit=5`);
    const fifty = await measure(client, `${path}${sep}limit=50`);
    const fiveAgain = await measure(client, `${path}${sep}limit=5`);
    counts[route] = { five: five.count, fifty: fifty.count };
    expect(five.items).toBe(5);
    expect(fifty.items).toBeGreaterThanOrEqual(45);
    // The same statements, not just as many (parameters and `in` lists aside), so a failure shows the odd one out.
    expect({ route, statements: shapes(fifty) }).toEqual({ route, statements: shapes(five) });
    expect(fifty.count).toBe(five.count);
    expect(fiveAgain.count).toBe(five.count);
    // A page is a handful of batched statements, never one per post.
    expect(five.count).toBeLessThanOrEqual(15);
  }

  it('the counter sees every statement: raw SQL, entity queries, transactions', async () => {
    const log = await counter.measure(async () => {
      const em = t.em();
      await em.execute('select 1');
      await em.findOne(User, { id: viewer.id });
      await em.transactional(async (tx) => {
        await tx.execute('select 2');
      });
    });
    expect(log.statements.map((sql) => /^\w+/.exec(sql.toLowerCase())![0])).toEqual(['select', 'select', 'begin', 'select', 'commit']);
  });

  it('GET /timelines/home: a page of 50 costs what a page of 5 does (few follows: per-author probes)', async () => {
    const page = (await as(t, viewer).get('/timelines/home?limit=50').expect(200)).body as PageBody;
    // The fixture does what it says: locked and open premium posts, media, likes and reposts on one page.
    expect(page.data.some((p) => p.locked)).toBe(true);
    expect(page.data.some((p) => p.is_premium && !p.locked)).toBe(true);
    expect(page.data.some((p) => p.repost_of?.locked)).toBe(true);
    expect(page.data.some((p) => p.liked)).toBe(true);
    expect(page.data.some((p) => p.media.length && p.media[0].url)).toBe(true);
    expect(page.data.some((p) => p.media.length && !p.media[0].url)).toBe(true);
    await expectSameCount('GET /timelines/home', as(t, viewer), '/timelines/home');
  });

  it('GET /timelines/home: the same past the probe limit (index walk)', async () => {
    await expectSameCount('GET /timelines/home (25 follows)', as(t, heavyViewer), '/timelines/home');
  });

  it('GET /timelines/public: a page of 50 costs what a page of 5 does', async () => {
    const client = as(t, viewer);
    const cursor = await publicCursorAtFixture(client);
    await expectSameCount('GET /timelines/public', client, `/timelines/public?cursor=${cursor}`);
    await expectSameCount('GET /timelines/public (anonymous)', as(t), `/timelines/public?cursor=${cursor}`);
  });

  it('GET /users/:username/posts: a page of 50 costs what a page of 5 does', async () => {
    await expectSameCount('GET /users/:username/posts', as(t, viewer), `/users/${main.username}/posts`);
  });

  it('GET /tags/:tag/posts: a page of 50 costs what a page of 5 does', async () => {
    await expectSameCount('GET /tags/:tag/posts', as(t, viewer), `/tags/${tag}/posts`);
  });

  describe('liking a post costs no rendering beyond the answer', () => {
    /** The post row read by id: what `requireVisible` and the answer's re-read send. */
    const ROW_BY_ID = /^select p\.id, .* from posts p join users u on u\.id = p\.user_id where p\.id in \(/;
    /** What only rendering asks (the viewer's likes and reposts, the media): once per rendered answer. */
    const RENDER_ONLY = [/from likes where user_id =/, /select repost_of_id as id from posts where user_id =/, /from media m where m\.post_id in/];
    /** What the policy asks (the graph): once per decision. */
    const POLICY = [/from follows where follower_id =/, /from blocks where blocker_id =/];

    /** Reads only: the write (its transaction, the like, the outbox row) left out. */
    const reads = (log: QueryLog) => shapes(log).filter((sql) => !/^(begin|commit|rollback|savepoint|release|insert|update|delete|with ins|with del)\b/i.test(sql));
    const occurrences = (log: QueryLog, pattern: RegExp) => log.statements.filter((sql) => pattern.test(sql)).length;

    async function compare(route: string, answerPath: string, action: () => Promise<PostBody>): Promise<{ answer: QueryLog; acted: QueryLog }> {
      const client = as(t, viewer);
      await client.get(answerPath).expect(200); // warm-up
      const answer = await counter.measure(() => client.get(answerPath).expect(200));
      let body: PostBody | undefined;
      const acted = await counter.measure(async () => {
        body = await action();
      });
      expect(body?.liked).toBe(true);
      interactions[route] = { answer: answer.count, action: acted.count };
      for (const pattern of [...RENDER_ONLY, ...POLICY]) {
        expect({ route, pattern: String(pattern), times: occurrences(acted, pattern) }).toEqual({ route, pattern: String(pattern), times: occurrences(answer, pattern) });
      }
      return { answer, acted };
    }

    it('POST /posts/:id/like: the policy once (no rendering), the write, then the answer rendered once', async () => {
      const post = await createPost(t, main, 'like me');
      const { answer, acted } = await compare('POST /posts/:id/like', `/posts/${post.id}`, async () => (await as(t, viewer).post(`/posts/${post.id}/like`).expect(200)).body as PostBody);
      // GET /posts/:id is the row, then one statement with the policy's relations and the answer's likes, reposts and
      // media. The like asks the same, split around the write: the row and the relations before it; the row re-read
      // (its likes_count moved) and the answer's questions after it. Nothing more.
      expect(answer.count).toBe(2);
      expect(reads(acted)).toHaveLength(answer.count + 2);
      expect(occurrences(acted, ROW_BY_ID)).toBe(2);
    });

    it('POST /posts/:repostId/like: the repost and its original judged together, the original rendered once', async () => {
      const original = await createPost(t, heavyViewer, 'repost me');
      const em = t.em();
      const repost = em.create(Post, { author: em.getReference(User, main.id), content: '', repostOf: em.getReference(Post, original.id) });
      await em.flush();
      const { answer, acted } = await compare('POST /posts/:repostId/like', `/posts/${original.id}`, async () => {
        const body = (await as(t, viewer).post(`/posts/${repost.id}/like`).expect(200)).body as PostBody;
        expect(body.id).toBe(original.id);
        return body;
      });
      // As above, plus the original's row read for the decision (the repost's row names it).
      expect(reads(acted)).toHaveLength(answer.count + 3);
      expect(occurrences(acted, ROW_BY_ID)).toBe(3);
    });
  });
});

import { expectProblem } from '../factories/http';
import {
  as,
  createMedia,
  createPost,
  follow,
  ids,
  NewPost,
  PostBody,
  scan,
  signedInUsers,
  subscribe,
  uniqueWord,
  unlock,
} from '../factories/posts';
import { createAdmin, createSignedInUser, signIn, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';

/** The posts of the matrix: every visibility, and every kind of premium. */
const MATRIX = {
  public: { visibility: 'public' },
  followers: { visibility: 'followers' },
  subscribers: { visibility: 'subscribers' },
  premium: { is_premium: true, preview: 'teaser of the premium post' },
  priced: { price_cents: 500, preview: 'teaser of the priced post' },
  followersPremium: { visibility: 'followers', is_premium: true },
  subscribersPriced: { visibility: 'subscribers', price_cents: 300, preview: 'teaser for subscribers who pay' },
} satisfies Record<string, NewPost>;
type Key = keyof typeof MATRIX;
const KEYS = Object.keys(MATRIX) as Key[];
/** These carry an image, to check that locked media come without URLs. */
const WITH_MEDIA: Key[] = ['public', 'premium', 'priced', 'followersPremium'];

type State = 'open' | 'locked' | 'hidden';

interface Viewer {
  name: string;
  author?: boolean;
  anonymous?: boolean;
  follows?: boolean;
  /** Subscription row to insert; `access` says whether it grants access today. */
  subscription?: { status: 'active' | 'trialing' | 'past_due' | 'canceled'; periodEndDays: number; cancelAtPeriodEnd?: boolean };
  access?: boolean;
  paid?: Key[];
  refunded?: Key[];
}

const VIEWERS: Viewer[] = [
  { name: 'the author', author: true },
  { name: 'an anonymous visitor', anonymous: true },
  { name: 'a signed-in stranger' },
  { name: 'a follower', follows: true },
  { name: 'an active subscriber who follows', follows: true, subscription: { status: 'active', periodEndDays: 10 }, access: true },
  { name: 'a trialing subscriber who does not follow', subscription: { status: 'trialing', periodEndDays: 5 }, access: true },
  {
    name: 'a subscriber set to cancel at period end',
    follows: true,
    subscription: { status: 'active', periodEndDays: 2, cancelAtPeriodEnd: true },
    access: true,
  },
  { name: 'a follower who bought both priced posts', follows: true, paid: ['priced', 'subscribersPriced'] },
  {
    name: 'a subscriber who bought both priced posts',
    follows: true,
    subscription: { status: 'active', periodEndDays: 10 },
    access: true,
    paid: ['priced', 'subscribersPriced'],
  },
  { name: 'a past_due subscriber within the grace period', follows: true, subscription: { status: 'past_due', periodEndDays: -1 }, access: true },
  { name: 'a past_due subscriber past the grace period', follows: true, subscription: { status: 'past_due', periodEndDays: -4 }, access: false },
  { name: 'a canceled subscriber', follows: true, subscription: { status: 'canceled', periodEndDays: 10 }, access: false },
  { name: 'a follower whose purchase was refunded', follows: true, refunded: ['priced'] },
];

/** The rule of the contract, written out independently of the code under test. */
function expected(viewer: Viewer, key: Key): State {
  if (viewer.author) return 'open';
  const post: NewPost = MATRIX[key];
  const visibility = post.visibility ?? 'public';
  const visible =
    visibility === 'public' || (visibility === 'followers' && !!viewer.follows) || (visibility === 'subscribers' && !!viewer.access);
  if (!visible) return 'hidden';
  if (!post.is_premium && post.price_cents === undefined) return 'open';
  if (post.price_cents !== undefined) return viewer.paid?.includes(key) ? 'open' : 'locked';
  return viewer.access ? 'open' : 'locked';
}

describe('Visibility and entitlements on every read path', () => {
  const t = useTestApp({ redisScope: 'visibility' });
  let creator: SignedInUser;
  let root: PostBody;
  let tag: string;
  const posts = {} as Record<Key, PostBody>;
  const sessions = new Map<string, SignedInUser | undefined>();
  /** Public replies whose parents are premium / followers-only: their threads must not leak the parent. */
  let replyToPremium: PostBody;
  let replyToFollowers: PostBody;

  beforeAll(async () => {
    creator = await createSignedInUser(t);
    tag = uniqueWord('vis');
    root = await createPost(t, creator, `the root #${tag}`);
    for (const key of KEYS) {
      posts[key] = await createPost(t, creator, { content: `${key} content #${tag}`, reply_to_id: root.id, ...MATRIX[key] });
      if (WITH_MEDIA.includes(key)) await createMedia(t, creator, posts[key].id);
    }
    const replier = await createSignedInUser(t);
    await subscribe(t, replier, creator);
    replyToPremium = await createPost(t, replier, { content: 'reply to premium', reply_to_id: posts.premium.id });
    replyToFollowers = await createPost(t, creator, { content: 'reply to followers-only', reply_to_id: posts.followers.id });

    const users = await signedInUsers(t, VIEWERS.length);
    await Promise.all(
      VIEWERS.map(async (viewer, i) => {
        if (viewer.author) return sessions.set(viewer.name, creator);
        if (viewer.anonymous) return sessions.set(viewer.name, undefined);
        const user = users[i];
        sessions.set(viewer.name, user);
        if (viewer.follows) await follow(t, user, creator);
        if (viewer.subscription) {
          const { status, periodEndDays, cancelAtPeriodEnd } = viewer.subscription;
          await subscribe(t, user, creator, { status, cancelAtPeriodEnd, currentPeriodEnd: new Date(Date.now() + periodEndDays * 86_400_000) });
        }
        for (const key of viewer.paid ?? []) await unlock(t, user, posts[key], 'paid');
        for (const key of viewer.refunded ?? []) await unlock(t, user, posts[key], 'refunded');
      }),
    );
  });

  /** The state a rendered post shows, after checking that a locked post leaks nothing and an open one has it all. */
  function stateOf(post: PostBody): State {
    const key = KEYS.find((k) => posts[k].id === post.id)!;
    if (post.locked) {
      expect(post).toMatchObject({ content: null, content_html: null, preview: (MATRIX[key] as NewPost).preview ?? null, is_premium: true });
      for (const media of post.media) expect(media).toEqual({ id: expect.any(String), type: expect.any(String) });
      expect(JSON.stringify(post)).not.toContain(`${key} content`);
      return 'locked';
    }
    expect(post.content).toBe(`${key} content #${tag}`);
    expect(post.content_html).toContain(`${key} content`);
    for (const media of post.media) expect(media.url).toEqual(expect.any(String));
    return 'open';
  }

  /** Matrix posts found in a list, with their state; other posts are ignored. */
  function states(list: PostBody[]): Partial<Record<Key, State>> {
    const found: Partial<Record<Key, State>> = {};
    for (const post of list) {
      const key = KEYS.find((k) => posts[k].id === post.id);
      if (key) found[key] = stateOf(post);
    }
    return found;
  }

  function expectedStates(viewer: Viewer, keys: Key[] = KEYS): Partial<Record<Key, State>> {
    return Object.fromEntries(keys.map((k) => [k, expected(viewer, k)]).filter(([, s]) => s !== 'hidden'));
  }

  const publicKeys = KEYS.filter((k) => (MATRIX[k] as NewPost).visibility === undefined || (MATRIX[k] as NewPost).visibility === 'public');

  describe.each(VIEWERS.map((v) => [v.name, v] as const))('%s', (_name, viewer) => {
    const client = () => as(t, sessions.get(viewer.name));

    it('GET /posts/:id: 404 for hidden posts, locked or open as entitled', async () => {
      const found: Partial<Record<Key, State>> = {};
      for (const key of KEYS) {
        const res = await client().get(`/posts/${posts[key].id}`);
        if (res.status === 404) {
          expectProblem(res, 404, 'not_found');
          continue;
        }
        expect(res.status).toBe(200);
        found[key] = stateOf(res.body);
        expect(res.body.media).toHaveLength(WITH_MEDIA.includes(key) ? 1 : 0);
      }
      expect(found).toEqual(expectedStates(viewer));
    });

    it('thread and replies: hidden posts are absent or 404, the others locked or open as entitled', async () => {
      const replies = await client().get(`/posts/${root.id}/replies?limit=100`).expect(200);
      expect(states(replies.body.data)).toEqual(expectedStates(viewer));
      const thread = await client().get(`/posts/${root.id}/thread`).expect(200);
      expect(states(thread.body.descendants)).toEqual(expectedStates(viewer));

      for (const key of KEYS) {
        const res = await client().get(`/posts/${posts[key].id}/thread`);
        if (expected(viewer, key) === 'hidden') expectProblem(res, 404, 'not_found');
        else expect(stateOf(res.body.post)).toBe(expected(viewer, key));
      }
      const [premiumThread, followersThread] = await Promise.all([
        client().get(`/posts/${replyToPremium.id}/thread`).expect(200),
        client().get(`/posts/${replyToFollowers.id}/thread`).expect(200),
      ]);
      expect(ids({ data: premiumThread.body.ancestors })).toEqual([root.id, posts.premium.id]);
      expect(states(premiumThread.body.ancestors)).toEqual(expectedStates(viewer, ['premium']));
      expect(states(followersThread.body.ancestors)).toEqual(expectedStates(viewer, ['followers']));
    });

    it('public and tag timelines: public posts only, locked or open as entitled', async () => {
      const everyone = await scan(client(), '/timelines/public', root.created_at);
      expect(states(everyone)).toEqual(expectedStates(viewer, publicKeys));
      const tagged = await client().get(`/tags/${tag}/posts?limit=100`).expect(200);
      // A locked post is listed under a tag only by its preview's tags, and these teasers have none.
      const unlockedOnly = Object.fromEntries(Object.entries(expectedStates(viewer, publicKeys)).filter(([, state]) => state !== 'locked'));
      expect(states(tagged.body.data)).toEqual(unlockedOnly);
    });

    it("the author's posts: hidden posts absent, the others locked or open as entitled", async () => {
      const res = await client().get(`/users/${creator.username}/posts?limit=100`).expect(200);
      expect(states(res.body.data)).toEqual(expectedStates(viewer));
    });

    if (viewer.anonymous) {
      it('has no home timeline', async () => {
        expectProblem(await client().get('/timelines/home'), 401, 'unauthorized');
      });
    } else if (viewer.follows || viewer.author) {
      it('home timeline: hidden posts absent, the others locked or open as entitled', async () => {
        const res = await client().get('/timelines/home?limit=100').expect(200);
        expect(states(res.body.data)).toEqual(expectedStates(viewer));
      });
    } else {
      it('home timeline: nothing of an author not followed', async () => {
        const res = await client().get('/timelines/home?limit=100').expect(200);
        expect(states(res.body.data)).toEqual({});
      });
    }
  });

  describe('a suspended author', () => {
    it('vanishes from every read path, and comes back when unsuspended', async () => {
      const [author, reader, other] = await signedInUsers(t, 3);
      const admin = await signIn(t, await createAdmin(t));
      const tag = uniqueWord('sus');
      await follow(t, reader, author);
      await follow(t, reader, other);
      const post = await createPost(t, author, `soon gone #${tag}`);
      const thread = await createPost(t, other, `a thread #${tag}`);
      const reply = await createPost(t, author, { content: 'a reply', reply_to_id: thread.id });
      await as(t, author).post(`/posts/${thread.id}/repost`).expect(200);
      await as(t, author).post(`/posts/${thread.id}/like`).expect(200);
      await as(t, other).post(`/posts/${post.id}/repost`).expect(200);
      const homeBefore = (await as(t, reader).get('/timelines/home').expect(200)).body.data as PostBody[];
      expect(homeBefore.map((p) => p.author.id)).toContain(author.id);

      await as(t, admin).post(`/admin/users/${author.username}/suspend`).expect(200);

      for (const viewer of [reader, undefined]) {
        for (const path of [`/posts/${post.id}`, `/posts/${post.id}/thread`, `/posts/${post.id}/replies`, `/posts/${post.id}/likes`, `/posts/${reply.id}`]) {
          expectProblem(await as(t, viewer).get(path), 404, 'not_found');
        }
        expectProblem(await as(t, viewer).get(`/users/${author.username}/posts`), 404, 'not_found');
        const threadView = await as(t, viewer).get(`/posts/${thread.id}/thread`).expect(200);
        expect(threadView.body.descendants).toEqual([]);
        expect((await as(t, viewer).get(`/posts/${thread.id}/replies`).expect(200)).body.data).toEqual([]);
        expect((await as(t, viewer).get(`/posts/${thread.id}/likes`).expect(200)).body.data).toEqual([]);
        expect(ids((await as(t, viewer).get(`/tags/${tag}/posts`).expect(200)).body)).toEqual([thread.id]);
        const everyone = await scan(as(t, viewer), '/timelines/public', post.created_at);
        expect(everyone.map((p) => p.author.id)).not.toContain(author.id);
        expect(everyone.map((p) => p.id)).toContain(thread.id);
        const others = (await as(t, viewer).get(`/users/${other.username}/posts`).expect(200)).body.data as PostBody[];
        expect(others.map((p) => p.id)).toEqual([thread.id]);
      }
      const home = (await as(t, reader).get('/timelines/home').expect(200)).body.data as PostBody[];
      expect(home.map((p) => p.id)).toEqual([thread.id]);
      expectProblem(await as(t, reader).post('/posts', { content: 'hello?', reply_to_id: post.id }), 404, 'not_found');

      await as(t, admin).post(`/admin/users/${author.username}/unsuspend`).expect(200);
      await as(t, reader).get(`/posts/${post.id}`).expect(200);
      expect(ids((await as(t, reader).get(`/tags/${tag}/posts`).expect(200)).body)).toEqual([thread.id, post.id]);
    });
  });
});

import { AuthUser } from '@/common/auth/auth-user';
import { Questions } from '@/common/database/together';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { SocialService } from '@/modules/social/social.service';
import { isLocked, PostAccessPolicy } from './post-access.policy';
import { PostRow } from './post-row';
import { PostsRepository } from './repositories/posts.repository';

const viewer: AuthUser = { id: 'viewer', role: 'user', sessionId: 's' };

let seq = 0;
function row(over: Partial<PostRow> = {}): PostRow {
  seq += 1;
  return {
    id: `post-${seq}`,
    user_id: 'author',
    content: 'text',
    content_html: '<p>text</p>',
    reply_to_id: null,
    root_post_id: null,
    repost_of_id: null,
    likes_count: 0,
    replies_count: 0,
    reposts_count: 0,
    visibility: 'public',
    is_premium: false,
    price_cents: null,
    min_tier_id: null,
    preview: null,
    currency: 'usd',
    created_at: new Date(),
    edited_at: null,
    deleted_at: null,
    removed_at: null,
    author_username: 'author',
    author_display_name: null,
    author_avatar_url: null,
    author_verified: false,
    author_suspended_at: null,
    ...over,
  };
}

/**
 * The policy over in-memory rows and graph, counting each round trip it makes. The relation fragments the owning
 * modules would write are stand-ins here (`{ sql: <relation>, params: [ids] }`), answered from `world` by `together`.
 */
function setUp(world: { rows?: PostRow[]; following?: string[]; blocked?: string[]; subscribedTo?: string[]; bought?: string[]; tiersReached?: string[] } = {}) {
  const calls = { findRows: 0, together: 0 };
  const asked: string[] = [];
  const live = new Map((world.rows ?? []).map((r) => [r.id, r]));
  const truth: Record<string, string[] | undefined> = { following: world.following, blocked: world.blocked, subscribed: world.subscribedTo, unlocked: world.bought, tiers: world.tiersReached };
  const posts = {
    findRows: async (ids: string[]) => {
      if (!ids.length) return []; // as the repository: no ids, no query
      calls.findRows += 1;
      return ids.flatMap((id) => (live.has(id) ? [live.get(id)!] : []));
    },
    together: async (questions: Questions) => {
      const sets: Record<string, Set<string>> = {};
      let any = false;
      for (const [name, fragment] of Object.entries(questions.sets ?? {})) {
        sets[name] = new Set();
        if (!fragment) continue;
        any = true;
        asked.push(name);
        const ids = fragment.params[0] as string[];
        sets[name] = new Set(ids.filter((id) => truth[fragment.sql]?.includes(id)));
      }
      if (any) calls.together += 1; // as askTogether: nothing to ask, no query
      return { sets, values: {} };
    },
  };
  const fragment = (relation: string, ids: string[]) => (ids.length ? { sql: relation, params: [ids] } : undefined);
  const social = {
    graphViewSql: (viewerId: string, authors: string[]) => {
      const others = authors.filter((a) => a !== viewerId);
      return others.length ? { following: fragment('following', others), blocked: fragment('blocked', others) } : {};
    },
  };
  const entitlements = {
    subscribedCreatorsSql: (_subscriberId: string, creators: string[]) => fragment('subscribed', creators),
    unlockedPostsSql: (_userId: string, postIds: string[]) => fragment('unlocked', postIds),
    tiersReachedSql: (_userId: string, tierIds: string[]) => fragment('tiers', tierIds),
  };
  const policy = new PostAccessPolicy(posts as unknown as PostsRepository, social as unknown as SocialService, entitlements as unknown as EntitlementsService);
  return { policy, calls, asked };
}

async function accessOf(post: PostRow, world: Parameters<typeof setUp>[0] = {}, who: AuthUser | undefined = viewer) {
  const { policy } = setUp(world);
  return (await policy.judge(who, [post])).access.get(post.id);
}

describe(PostAccessPolicy.name, () => {
  describe('the rule', () => {
    it('shows public posts to everyone, anonymous included', async () => {
      const post = row();
      expect(await accessOf(post, {}, undefined)).toEqual({ visible: true, locked: false });
      expect(await accessOf(post)).toEqual({ visible: true, locked: false });
    });

    it('shows followers-only posts to followers only', async () => {
      const post = row({ visibility: 'followers' });
      expect(await accessOf(post)).toEqual({ visible: false, locked: false });
      expect(await accessOf(post, {}, undefined)).toEqual({ visible: false, locked: false });
      expect(await accessOf(post, { following: ['author'] })).toEqual({ visible: true, locked: false });
    });

    it('shows subscriber posts to subscribers with access only, following or not', async () => {
      const post = row({ visibility: 'subscribers' });
      expect(await accessOf(post, { following: ['author'] })).toEqual({ visible: false, locked: false });
      expect(await accessOf(post, { subscribedTo: ['author'] })).toEqual({ visible: true, locked: false });
    });

    it('locks premium content without a price for non-subscribers, and opens it to subscribers', async () => {
      const post = row({ is_premium: true });
      expect(await accessOf(post)).toEqual({ visible: true, locked: true });
      expect(await accessOf(post, {}, undefined)).toEqual({ visible: true, locked: true });
      expect(await accessOf(post, { subscribedTo: ['author'] })).toEqual({ visible: true, locked: false });
    });

    it('opens a pay-per-view post to its buyers only, not to subscribers', async () => {
      const post = row({ is_premium: true, price_cents: 500 });
      expect(await accessOf(post, { subscribedTo: ['author'] })).toEqual({ visible: true, locked: true });
      expect(await accessOf(post, { bought: [post.id] })).toEqual({ visible: true, locked: false });
    });

    it('opens a tiered post to subscribers reaching its tier (or, with a price, to its buyers), and asks only for its tier', async () => {
      const tiered = row({ is_premium: true, min_tier_id: 'tier-2' });
      expect(await accessOf(tiered, { subscribedTo: ['author'] })).toEqual({ visible: true, locked: true });
      expect(await accessOf(tiered, { subscribedTo: ['author'], tiersReached: ['tier-2'] })).toEqual({ visible: true, locked: false });
      const priced = row({ is_premium: true, price_cents: 500, min_tier_id: 'tier-2' });
      expect(await accessOf(priced, { bought: [priced.id] })).toEqual({ visible: true, locked: false });
      expect(await accessOf(priced, { tiersReached: ['tier-2'] })).toEqual({ visible: true, locked: false });
      expect(await accessOf(priced, { tiersReached: ['tier-1'] })).toEqual({ visible: true, locked: true });
      const { policy, asked } = setUp();
      await policy.judge(viewer, [tiered]);
      expect(asked).toContain('tiers');
      expect(asked).not.toContain('subscribed');
    });

    it('hides everything across a block, and every post of a suspended author', async () => {
      expect(await accessOf(row(), { blocked: ['author'] })).toEqual({ visible: false, locked: false });
      expect(await accessOf(row({ author_suspended_at: new Date() }))).toEqual({ visible: false, locked: false });
    });

    it('lets the author see all of their own posts, unlocked', async () => {
      const own = row({ user_id: viewer.id, visibility: 'subscribers', is_premium: true, price_cents: 900 });
      expect(await accessOf(own)).toEqual({ visible: true, locked: false });
    });

    it('hides a post removed by a moderator from everyone, its author included', async () => {
      expect(await accessOf(row({ removed_at: new Date() }))).toEqual({ visible: false, locked: false });
      expect(await accessOf(row({ user_id: viewer.id, removed_at: new Date() }))).toEqual({ visible: false, locked: false });
    });
  });

  describe('requireVisible', () => {
    it('answers the rows and their access, in the order asked, without any rendering look-up', async () => {
      const a = row();
      const b = row({ visibility: 'followers' });
      const { policy, calls } = setUp({ rows: [a, b], following: ['author'] });
      const visible = await policy.requireVisible(viewer, [b.id, a.id]);
      expect(visible.map((v) => v.row.id)).toEqual([b.id, a.id]);
      expect(visible.map((v) => v.access)).toEqual([
        { visible: true, locked: false },
        { visible: true, locked: false },
      ]);
      // One read of the rows (no originals to read), one round trip for the relations, nothing else.
      expect(calls).toEqual({ findRows: 1, together: 1 });
    });

    it('throws the 404 problem for a missing post and, identically, for one hidden from the viewer', async () => {
      const hidden = row({ visibility: 'followers' });
      const { policy } = setUp({ rows: [hidden] });
      const missing = await policy.requireVisible(viewer, ['nope']).catch((e: unknown) => e);
      const invisible = await policy.requireVisible(viewer, [hidden.id]).catch((e: unknown) => e);
      expect(missing).toMatchObject({ status: 404, code: 'not_found' });
      expect(invisible).toEqual(missing);
    });

    it('judges a repost with its original, and refuses it when the original is hidden or gone', async () => {
      const original = row({ user_id: 'other' });
      const repost = row({ repost_of_id: original.id, content: '' });
      const { policy, calls } = setUp({ rows: [original, repost] });
      const [visible] = await policy.requireVisible(viewer, [repost.id]);
      expect(visible.original?.row.id).toBe(original.id);
      expect(calls.findRows).toBe(2);
      expect(calls.together).toBe(1);

      await expect(setUp({ rows: [original, repost], blocked: ['other'] }).policy.requireVisible(viewer, [repost.id])).rejects.toMatchObject({ status: 404 });
      await expect(setUp({ rows: [repost] }).policy.requireVisible(viewer, [repost.id])).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('canView', () => {
    it('answers false for a missing, hidden or orphaned post and true for a visible one, as requireVisible decides', async () => {
      const hidden = row({ visibility: 'followers' });
      const shown = row();
      const original = row({ user_id: 'other' });
      const repost = row({ repost_of_id: original.id, content: '' });
      const { policy } = setUp({ rows: [hidden, shown, repost] });
      expect(await policy.canView(viewer, 'nope')).toBe(false);
      expect(await policy.canView(viewer, hidden.id)).toBe(false);
      expect(await policy.canView(viewer, repost.id)).toBe(false);
      expect(await policy.canView(viewer, shown.id)).toBe(true);
    });

    it('lets a failing query through instead of reading it as "not visible"', async () => {
      const { policy } = setUp({ rows: [row()] });
      const failure = new Error('terminating connection due to administrator command');
      (policy as unknown as { posts: { findRows: () => Promise<never> } }).posts.findRows = () => Promise.reject(failure);
      await expect(policy.canView(viewer, 'any')).rejects.toBe(failure);
    });
  });

  describe('judge', () => {
    it('costs the same look-ups for a page of any length', async () => {
      const originals = Array.from({ length: 20 }, () => row({ user_id: 'other', is_premium: true }));
      const page = originals.flatMap((o, i) => [row({ user_id: `author-${i}`, visibility: 'subscribers' }), row({ repost_of_id: o.id }), row({ is_premium: true, price_cents: 100 })]);
      const { policy, calls, asked } = setUp({ rows: originals });
      const judged = await policy.judge(viewer, page);
      expect(judged.originals.size).toBe(20);
      expect(judged.access.size).toBe(page.length + originals.length);
      // Follows, blocks, subscriptions and unlocks: asked together, in one round trip.
      expect(calls).toEqual({ findRows: 1, together: 1 });
      expect(asked.sort()).toEqual(['blocked', 'following', 'subscribed', 'unlocked']);
    });

    it('asks nothing of the graph for a signed-out viewer or for the viewer\'s own posts', async () => {
      const { policy, calls } = setUp();
      await policy.judge(undefined, [row()]);
      await policy.judge(viewer, [row({ user_id: viewer.id, is_premium: true, price_cents: 100 })]);
      expect(calls).toEqual({ findRows: 0, together: 0 });
    });

    it('adds the caller\'s own questions to the same round trip', async () => {
      const { policy, calls, asked } = setUp({ following: ['author'] });
      const post = row({ visibility: 'followers' });
      const judged = await policy.judge(viewer, [post], (all) => ({ sets: { liked: { sql: 'liked', params: [all.map((p) => p.id)] } } }));
      expect(judged.access.get(post.id)).toEqual({ visible: true, locked: false });
      expect(judged.answers.sets.liked).toEqual(new Set());
      expect(calls).toEqual({ findRows: 0, together: 1 });
      expect(asked).toContain('liked');
    });
  });

  describe('direct messages: the same lock (decideMessages, isLocked)', () => {
    const message = (over: Partial<{ id: string; sender_id: string; recipient_id: string; price_cents: number | null; deleted_at: Date | null }> = {}) => ({
      id: 'm1',
      sender_id: 'author',
      recipient_id: viewer.id,
      price_cents: null,
      deleted_at: null,
      ...over,
    });
    const decide = (m: ReturnType<typeof message>, bought: string[] = [], who: AuthUser = viewer) => setUp().policy.decideMessages(who, [m], new Set(bought)).get(m.id);

    it('opens a free message to both participants and hides every message from anyone else', () => {
      expect(decide(message())).toEqual({ visible: true, locked: false, unsent: false });
      expect(decide(message(), [], { id: 'author', role: 'user', sessionId: 's' })).toEqual({ visible: true, locked: false, unsent: false });
      expect(decide(message(), [], { id: 'outsider', role: 'user', sessionId: 's' })).toMatchObject({ visible: false, locked: false });
    });

    it('locks a paid message for its recipient until bought, never for its sender', () => {
      expect(decide(message({ price_cents: 500 }))).toEqual({ visible: true, locked: true, unsent: false });
      expect(decide(message({ price_cents: 500 }), ['m1'])).toEqual({ visible: true, locked: false, unsent: false });
      expect(decide(message({ price_cents: 500 }), [], { id: 'author', role: 'user', sessionId: 's' })).toMatchObject({ locked: false });
    });

    it('removes an unsent message for everyone but a buyer, who keeps what they bought', () => {
      const unsent = message({ price_cents: 500, deleted_at: new Date() });
      expect(decide(unsent)).toMatchObject({ unsent: true });
      expect(decide(unsent, [], { id: 'author', role: 'user', sessionId: 's' })).toMatchObject({ unsent: true });
      expect(decide(unsent, ['m1'])).toEqual({ visible: true, locked: false, unsent: false });
    });

    it('decides a post and a message with the same lock: a subscription opens a premium post without a price, never a priced item', () => {
      const subscribed = new Set(['author']);
      expect(isLocked(viewer.id, { id: 'p', owner_id: 'author', is_premium: true, price_cents: null }, subscribed, new Set())).toBe(false);
      expect(isLocked(viewer.id, { id: 'p', owner_id: 'author', is_premium: true, price_cents: 500 }, subscribed, new Set())).toBe(true);
      expect(isLocked(viewer.id, { id: 'p', owner_id: 'author', is_premium: true, price_cents: 500 }, new Set(), new Set(['p']))).toBe(false);
      expect(isLocked('author', { id: 'p', owner_id: 'author', is_premium: true, price_cents: 500 }, new Set(), new Set())).toBe(false);
      expect(isLocked(viewer.id, { id: 'p', owner_id: 'author', is_premium: false, price_cents: null }, new Set(), new Set())).toBe(false);
    });
  });
});

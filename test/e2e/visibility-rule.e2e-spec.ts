import { AuthUser } from '@/common/auth/auth-user';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { POST_COLUMNS, POST_FROM, PostRow } from '@/modules/posts/post-row';
import { as, createPost, follow, NewPost, subscribe, suspend, unlock } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';

/**
 * One matrix, both forms of the visibility rule: `PostAccessPolicy.decide` (through `judge`, on rows read without any
 * filter) and its SQL (`visibleSql`, `readableSql`, `openSql`) run on the same rows in real PostgreSQL. Each case says
 * what the rule answers; both forms must answer it. A case added here checks both at once.
 */

/** How the viewer stands to the author, arranged once per author. */
type Standing =
  | 'stranger'
  | 'follower'
  | 'subscriber'
  | 'tier2Subscriber'
  | 'downgraded'
  | 'downgradedLongAgo'
  | 'lapsed'
  | 'blockedByAuthor'
  | 'blockingAuthor'
  | 'suspendedAuthor'
  | 'tier1Gift'
  | 'tier2Gift'
  | 'giftEnded'
  | 'giftRefunded';

/**
 * Every author has two tiers (positions 1 and 2); `tier` names the post's `min_tier_id`. Subscriptions are at tier 1
 * (`tier2Subscriber`, and `lapsed`, at tier 2; `downgraded` from tier 2 to 1, paid at tier 2 until the period end, which
 * for `downgradedLongAgo` has passed). Gifts (docs/billing.md#gifts), without a subscription: a running gift of tier 1
 * or 2, one of tier 2 that ended, one of tier 2 refunded.
 */
const POSTS: Record<string, NewPost & { tier?: 1 | 2 }> = {
  public: { visibility: 'public' },
  followers: { visibility: 'followers' },
  subscribers: { visibility: 'subscribers' },
  premium: { is_premium: true, preview: 'teaser' },
  priced: { price_cents: 500, preview: 'teaser' },
  bought: { price_cents: 500, preview: 'teaser' },
  removed: { visibility: 'public' },
  deleted: { visibility: 'public' },
  tier1: { tier: 1, preview: 'teaser' },
  tier2: { tier: 2, preview: 'teaser' },
  tier2Priced: { tier: 2, price_cents: 500, preview: 'teaser' },
  tier2Bought: { tier: 2, price_cents: 500, preview: 'teaser' },
  tier2Subscribers: { tier: 2, visibility: 'subscribers', preview: 'teaser' },
};
type Kind = 'public' | 'followers' | 'subscribers' | 'premium' | 'priced' | 'bought' | 'removed' | 'deleted' | 'tier1' | 'tier2' | 'tier2Priced' | 'tier2Bought' | 'tier2Subscribers';

/** `hidden`: not visible; `locked`: visible, content not readable; `open`: visible and readable. */
type Outcome = 'hidden' | 'locked' | 'open';
type Who = 'anonymous' | 'viewer' | 'author';

const CASES: [Standing, Kind, Who, Outcome][] = [
  // Anyone: public posts open, the rest hidden, premium locked.
  ['stranger', 'public', 'anonymous', 'open'],
  ['stranger', 'followers', 'anonymous', 'hidden'],
  ['stranger', 'subscribers', 'anonymous', 'hidden'],
  ['stranger', 'premium', 'anonymous', 'locked'],
  ['stranger', 'priced', 'anonymous', 'locked'],
  ['stranger', 'removed', 'anonymous', 'hidden'],
  ['stranger', 'deleted', 'anonymous', 'hidden'],
  // A signed-in stranger.
  ['stranger', 'public', 'viewer', 'open'],
  ['stranger', 'followers', 'viewer', 'hidden'],
  ['stranger', 'subscribers', 'viewer', 'hidden'],
  ['stranger', 'premium', 'viewer', 'locked'],
  ['stranger', 'priced', 'viewer', 'locked'],
  ['stranger', 'bought', 'viewer', 'open'],
  ['stranger', 'removed', 'viewer', 'hidden'],
  ['stranger', 'deleted', 'viewer', 'hidden'],
  // Following opens followers-only posts, nothing paid.
  ['follower', 'public', 'viewer', 'open'],
  ['follower', 'followers', 'viewer', 'open'],
  ['follower', 'subscribers', 'viewer', 'hidden'],
  ['follower', 'premium', 'viewer', 'locked'],
  ['follower', 'priced', 'viewer', 'locked'],
  ['follower', 'removed', 'viewer', 'hidden'],
  // Subscriber access opens subscriber posts and unpriced premium, not pay-per-view nor followers-only.
  ['subscriber', 'followers', 'viewer', 'hidden'],
  ['subscriber', 'subscribers', 'viewer', 'open'],
  ['subscriber', 'premium', 'viewer', 'open'],
  ['subscriber', 'priced', 'viewer', 'locked'],
  ['subscriber', 'bought', 'viewer', 'open'],
  ['subscriber', 'removed', 'viewer', 'hidden'],
  // A canceled subscription gives nothing.
  ['lapsed', 'subscribers', 'viewer', 'hidden'],
  ['lapsed', 'premium', 'viewer', 'locked'],
  // A block either way hides everything, a subscription and a purchase notwithstanding.
  ['blockedByAuthor', 'public', 'viewer', 'hidden'],
  ['blockedByAuthor', 'subscribers', 'viewer', 'hidden'],
  ['blockedByAuthor', 'bought', 'viewer', 'hidden'],
  ['blockingAuthor', 'public', 'viewer', 'hidden'],
  ['blockingAuthor', 'premium', 'viewer', 'hidden'],
  // A suspended (or deleted: deleted accounts are suspended) author's posts are gone for everyone.
  ['suspendedAuthor', 'public', 'anonymous', 'hidden'],
  ['suspendedAuthor', 'followers', 'viewer', 'hidden'],
  ['suspendedAuthor', 'subscribers', 'viewer', 'hidden'],
  ['suspendedAuthor', 'bought', 'viewer', 'hidden'],
  // The author reads everything of their own, except what a moderator removed or they deleted.
  ['stranger', 'followers', 'author', 'open'],
  ['stranger', 'subscribers', 'author', 'open'],
  ['stranger', 'premium', 'author', 'open'],
  ['stranger', 'priced', 'author', 'open'],
  ['stranger', 'removed', 'author', 'hidden'],
  ['stranger', 'deleted', 'author', 'hidden'],
  // Tiers (docs/access-policy.md#tiers): a post with a `min_tier_id` is premium, open to subscribers of that tier or a
  // higher one (by position), and to buyers when it has a price; its visibility is decided as any post's.
  ['stranger', 'tier1', 'anonymous', 'locked'],
  ['stranger', 'tier2', 'viewer', 'locked'],
  ['stranger', 'tier2Bought', 'viewer', 'open'],
  ['stranger', 'tier2Subscribers', 'viewer', 'hidden'],
  ['follower', 'tier1', 'viewer', 'locked'],
  ['subscriber', 'tier1', 'viewer', 'open'],
  ['subscriber', 'tier2', 'viewer', 'locked'],
  ['subscriber', 'tier2Priced', 'viewer', 'locked'],
  ['subscriber', 'tier2Bought', 'viewer', 'open'],
  ['subscriber', 'tier2Subscribers', 'viewer', 'locked'],
  ['tier2Subscriber', 'tier1', 'viewer', 'open'],
  ['tier2Subscriber', 'tier2', 'viewer', 'open'],
  ['tier2Subscriber', 'tier2Priced', 'viewer', 'open'],
  ['tier2Subscriber', 'tier2Subscribers', 'viewer', 'open'],
  ['tier2Subscriber', 'premium', 'viewer', 'open'],
  ['tier2Subscriber', 'priced', 'viewer', 'locked'],
  ['lapsed', 'tier1', 'viewer', 'locked'],
  ['downgraded', 'tier2', 'viewer', 'open'],
  ['downgraded', 'tier2Priced', 'viewer', 'open'],
  ['downgradedLongAgo', 'tier1', 'viewer', 'open'],
  ['downgradedLongAgo', 'tier2', 'viewer', 'locked'],
  ['blockedByAuthor', 'tier1', 'viewer', 'hidden'],
  ['suspendedAuthor', 'tier1', 'viewer', 'hidden'],
  ['stranger', 'tier2', 'author', 'open'],
  ['stranger', 'tier2Priced', 'author', 'open'],
  // Gifts (docs/billing.md#gifts): a running paid gift is subscriber access at its tier, without renewal.
  ['tier2Gift', 'followers', 'viewer', 'hidden'],
  ['tier2Gift', 'subscribers', 'viewer', 'open'],
  ['tier2Gift', 'premium', 'viewer', 'open'],
  ['tier2Gift', 'priced', 'viewer', 'locked'],
  ['tier2Gift', 'tier1', 'viewer', 'open'],
  ['tier2Gift', 'tier2', 'viewer', 'open'],
  ['tier2Gift', 'tier2Priced', 'viewer', 'open'],
  ['tier2Gift', 'tier2Subscribers', 'viewer', 'open'],
  ['tier1Gift', 'subscribers', 'viewer', 'open'],
  ['tier1Gift', 'tier1', 'viewer', 'open'],
  ['tier1Gift', 'tier2', 'viewer', 'locked'],
  ['tier1Gift', 'tier2Subscribers', 'viewer', 'locked'],
  ['giftEnded', 'subscribers', 'viewer', 'hidden'],
  ['giftEnded', 'premium', 'viewer', 'locked'],
  ['giftEnded', 'tier2', 'viewer', 'locked'],
  ['giftRefunded', 'subscribers', 'viewer', 'hidden'],
  ['giftRefunded', 'tier2', 'viewer', 'locked'],
];

describe('The visibility rule, in memory and in SQL', () => {
  const t = useTestApp({ redisScope: 'visibility-rule', env: { RATE_LIMIT_POST_CREATE: '1000/1h' } });
  let viewer: SignedInUser;
  const authors = new Map<Standing, SignedInUser>();
  const posts = new Map<string, string>();
  const key = (standing: Standing, kind: Kind) => `${standing}/${kind}`;

  beforeAll(async () => {
    viewer = await createSignedInUser(t);
    const standings: Standing[] = [
      'stranger',
      'follower',
      'subscriber',
      'tier2Subscriber',
      'downgraded',
      'downgradedLongAgo',
      'lapsed',
      'blockedByAuthor',
      'blockingAuthor',
      'suspendedAuthor',
      'tier1Gift',
      'tier2Gift',
      'giftEnded',
      'giftRefunded',
    ];
    for (const standing of standings) {
      const author = await createSignedInUser(t);
      authors.set(standing, author);
      await t.sql(
        `insert into tiers (id, creator_id, name, monthly_price_cents, position)
         values (uuid_generate_v7(), ?, 'One', 500, 1), (uuid_generate_v7(), ?, 'Two', 1500, 2)`,
        [author.id, author.id],
      );
      const tiers = await t.sql<{ id: string }>('select id from tiers where creator_id = ? order by position', [author.id]);
      const [tier1, tier2] = tiers.map((r) => r.id);
      for (const [kind, { tier, ...body }] of Object.entries(POSTS) as [Kind, NewPost & { tier?: 1 | 2 }][]) {
        const post = await createPost(t, author, tier ? { ...body, min_tier_id: tier === 1 ? tier1 : tier2 } : body);
        posts.set(key(standing, kind), post.id);
        if (kind === 'bought' || kind === 'tier2Bought') await unlock(t, viewer, post);
      }
      await t.sql('update posts set removed_at = now() where id = ?', [posts.get(key(standing, 'removed'))]);
      await t.sql('update posts set deleted_at = now() where id = ?', [posts.get(key(standing, 'deleted'))]);
      if (standing === 'follower' || standing === 'suspendedAuthor') await follow(t, viewer, author);
      if (standing === 'subscriber' || standing === 'blockedByAuthor' || standing === 'suspendedAuthor') await subscribe(t, viewer, author, { tierId: tier1 });
      if (standing === 'tier2Subscriber') await subscribe(t, viewer, author, { tierId: tier2 });
      if (standing === 'downgraded' || standing === 'downgradedLongAgo') {
        const row = await subscribe(t, viewer, author, { tierId: tier1 });
        const until = standing === 'downgraded' ? "now() + interval '10 days'" : "now() - interval '1 second'";
        await t.sql(`update subscriptions set paid_tier_id = ?, paid_tier_until = ${until} where id = ?`, [tier2, row.id]);
      }
      if (standing === 'lapsed') await subscribe(t, viewer, author, { status: 'canceled', tierId: tier2 });
      if (standing === 'blockedByAuthor') await as(t, author).post(`/users/${viewer.username}/block`).expect(200);
      if (standing === 'blockingAuthor') await as(t, viewer).post(`/users/${author.username}/block`).expect(200);
      if (standing === 'suspendedAuthor') await suspend(t, author);
      if (standing === 'tier1Gift' || standing === 'tier2Gift' || standing === 'giftEnded' || standing === 'giftRefunded') {
        const [status, starts, ends] =
          standing === 'giftEnded' ? ['paid', "now() - interval '31 days'", "now() - interval '1 second'"] : [standing === 'giftRefunded' ? 'refunded' : 'paid', 'now()', "now() + interval '30 days'"];
        await t.sql(
          `insert into gifts (id, gifter_id, creator_id, tier_id, recipient_id, months, amount_cents, status, stripe_checkout_session_id, starts_at, ends_at)
           values (uuid_generate_v7(), ?, ?, ?, ?, 1, 500, ?, ?, ${starts}, ${ends})`,
          [author.id, author.id, standing === 'tier1Gift' ? tier1 : tier2, viewer.id, status, `cs_matrix_${standing}`],
        );
      }
    }
  });

  const who = (w: Who, standing: Standing): AuthUser | undefined =>
    w === 'anonymous' ? undefined : { id: w === 'viewer' ? viewer.id : authors.get(standing)!.id, role: 'user', sessionId: 'matrix' };

  /** Every row, deleted and suspended ones included: the rule itself must leave them out. */
  const rowOf = async (id: string) => (await t.sql<PostRow>(`select ${POST_COLUMNS} ${POST_FROM} where p.id = ?`, [id]))[0];

  async function inMemory(policy: PostAccessPolicy, viewerOf: AuthUser | undefined, id: string): Promise<Outcome> {
    const access = (await policy.judge(viewerOf, [await rowOf(id)])).access.get(id)!;
    return !access.visible ? 'hidden' : access.locked ? 'locked' : 'open';
  }

  async function inSql(policy: PostAccessPolicy, viewerOf: AuthUser | undefined, id: string): Promise<Outcome> {
    const visible = policy.visibleSql(viewerOf);
    const readable = policy.readableSql(viewerOf);
    const [row] = await t.sql<{ visible: boolean; readable: boolean }>(
      `select ${visible.sql} as visible, ${readable.sql} as readable ${POST_FROM} where p.id = ?`,
      [...visible.params, ...readable.params, id],
    );
    return !row.visible ? 'hidden' : row.readable ? 'open' : 'locked';
  }

  /** The form for queries that keep only followed authors' posts (the home timeline): the same answer there. */
  async function inSqlFollowed(policy: PostAccessPolicy, viewerOf: AuthUser, id: string): Promise<Outcome> {
    const visible = policy.visibleSql(viewerOf, { post: 'p', author: 'u' }, { followedAuthors: true });
    const readable = policy.readableSql(viewerOf);
    const [row] = await t.sql<{ visible: boolean; readable: boolean }>(
      `select ${visible.sql} as visible, ${readable.sql} as readable ${POST_FROM} where p.id = ?`,
      [...visible.params, ...readable.params, id],
    );
    return !row.visible ? 'hidden' : row.readable ? 'open' : 'locked';
  }

  it.each(CASES)('%s author, %s post, seen by %s: %s', async (standing, kind, w, expected) => {
    const policy = t.app.get(PostAccessPolicy);
    const id = posts.get(key(standing, kind))!;
    const viewerOf = who(w, standing);
    expect({ memory: await inMemory(policy, viewerOf, id), sql: await inSql(policy, viewerOf, id) }).toEqual({ memory: expected, sql: expected });
    const followed = w === 'author' || (w === 'viewer' && (standing === 'follower' || standing === 'suspendedAuthor'));
    if (followed) expect(await inSqlFollowed(policy, viewerOf!, id)).toBe(expected);
  });

  it('openSql is exactly "open to an anonymous visitor", and isOpen its row form', async () => {
    const policy = t.app.get(PostAccessPolicy);
    const open = policy.openSql();
    const rows = await t.sql<PostRow & { open: boolean }>(`select ${POST_COLUMNS}, ${open.sql} as open ${POST_FROM} where p.id in (?)`, [...open.params, [...posts.values()]]);
    expect(rows).toHaveLength(posts.size);
    for (const row of rows) {
      const anonymous = await inMemory(policy, undefined, row.id);
      expect({ id: row.id, sql: row.open, row: policy.isOpen(row) }).toEqual({ id: row.id, sql: anonymous === 'open', row: anonymous === 'open' });
    }
  });
});

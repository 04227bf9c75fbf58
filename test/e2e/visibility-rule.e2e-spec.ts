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
type Standing = 'stranger' | 'follower' | 'subscriber' | 'lapsed' | 'blockedByAuthor' | 'blockingAuthor' | 'suspendedAuthor';

const POSTS = {
  public: { visibility: 'public' },
  followers: { visibility: 'followers' },
  subscribers: { visibility: 'subscribers' },
  premium: { is_premium: true, preview: 'teaser' },
  priced: { price_cents: 500, preview: 'teaser' },
  bought: { price_cents: 500, preview: 'teaser' },
  removed: { visibility: 'public' },
  deleted: { visibility: 'public' },
} satisfies Record<string, NewPost>;
type Kind = keyof typeof POSTS;

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
];

describe('The visibility rule, in memory and in SQL', () => {
  const t = useTestApp({ redisScope: 'visibility-rule', env: { RATE_LIMIT_POST_CREATE: '1000/1h' } });
  let viewer: SignedInUser;
  const authors = new Map<Standing, SignedInUser>();
  const posts = new Map<string, string>();
  const key = (standing: Standing, kind: Kind) => `${standing}/${kind}`;

  beforeAll(async () => {
    viewer = await createSignedInUser(t);
    const standings: Standing[] = ['stranger', 'follower', 'subscriber', 'lapsed', 'blockedByAuthor', 'blockingAuthor', 'suspendedAuthor'];
    for (const standing of standings) {
      const author = await createSignedInUser(t);
      authors.set(standing, author);
      for (const [kind, body] of Object.entries(POSTS) as [Kind, NewPost][]) {
        const post = await createPost(t, author, body);
        posts.set(key(standing, kind), post.id);
        if (kind === 'bought') await unlock(t, viewer, post);
      }
      await t.sql('update posts set removed_at = now() where id = ?', [posts.get(key(standing, 'removed'))]);
      await t.sql('update posts set deleted_at = now() where id = ?', [posts.get(key(standing, 'deleted'))]);
      if (standing === 'follower' || standing === 'suspendedAuthor') await follow(t, viewer, author);
      if (standing === 'subscriber' || standing === 'blockedByAuthor' || standing === 'suspendedAuthor') await subscribe(t, viewer, author);
      if (standing === 'lapsed') await subscribe(t, viewer, author, { status: 'canceled' });
      if (standing === 'blockedByAuthor') await as(t, author).post(`/users/${viewer.username}/block`).expect(200);
      if (standing === 'blockingAuthor') await as(t, viewer).post(`/users/${author.username}/block`).expect(200);
      if (standing === 'suspendedAuthor') await suspend(t, author);
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

import { permutation, Rng, Zipf } from './prng';
import { displayName, hashtagNames, username } from './demo-text';
import { uuid7 } from './uuid7';

const DAY = 86_400_000;

/** Every seeded account signs in with this password (they share one Argon2id hash of it). */
export const DEMO_PASSWORD = 'x18-demo-password';

/** The accounts the demo (and the benchmark) are about, at fixed indexes 0..3. */
export const DEMO_ACCOUNTS = {
  creator: 'demo_creator',
  viewer5k: 'demo_viewer_5k',
  viewer200: 'demo_viewer_200',
  writer: 'demo_writer',
} as const;
export const CREATOR = 0;
export const VIEWER_5K = 1;
export const VIEWER_200 = 2;
export const WRITER = 3;
export const SPECIAL_ACCOUNTS = 4;

export const CREATOR_FOLLOWERS = 100_000;
export const VIEWER_5K_FOLLOWS = 5_000;
export const VIEWER_200_FOLLOWS = 200;
/** Share of the big creator's followers who hold an active subscription. */
export const CREATOR_SUBSCRIBER_SHARE = 0.2;

export interface DemoOptions {
  users: number;
  posts: number;
  seed: number;
  /** Average likes per likeable post. */
  likesPerPost: number;
  /** Every timestamp is before this instant (epoch ms). */
  now: number;
}

export interface Users {
  n: number;
  ids: string[];
  names: string[];
  created: Float64Array;
  /** Popularity rank (0 = most followed) and its inverse. */
  rankOf: Int32Array;
  byRank: Int32Array;
  priceCents: Int32Array; // 0: takes no subscriptions
  followers: Int32Array;
  following: Int32Array;
  posts: Int32Array;
}

export interface Follows {
  count: number;
  follower: Int32Array;
  following: Int32Array;
  at: Float64Array;
}

/** Users: the four demo accounts first, then generated people; creators are the most popular accounts. */
export function makeUsers(o: DemoOptions): Users {
  const n = o.users;
  const rng = new Rng(o.seed, 1);
  const ids: string[] = new Array(n);
  const names: string[] = new Array(n);
  const created = new Float64Array(n);
  const specials = [DEMO_ACCOUNTS.creator, DEMO_ACCOUNTS.viewer5k, DEMO_ACCOUNTS.viewer200, DEMO_ACCOUNTS.writer];
  for (let i = 0; i < n; i++) {
    created[i] = o.now - 3 * 365 * DAY + Math.floor(rng.next() * 2 * 365 * DAY);
    ids[i] = uuid7(created[i], rng);
    names[i] = i < SPECIAL_ACCOUNTS ? specials[i] : username(i, rng);
  }
  // Popularity: the creator first, the bench writer last (nobody's feed should change when it posts), others shuffled.
  const shuffled = permutation(n - 2, rng);
  const byRank = new Int32Array(n);
  byRank[0] = CREATOR;
  let r = 1;
  const middle = [...Array(n).keys()].filter((i) => i !== CREATOR && i !== WRITER);
  for (let k = 0; k < shuffled.length; k++) byRank[r++] = middle[shuffled[k]];
  byRank[n - 1] = WRITER;
  const rankOf = new Int32Array(n);
  for (let k = 0; k < n; k++) rankOf[byRank[k]] = k;
  // Creators: the creator and about one in 200 of the next most popular accounts.
  const priceCents = new Int32Array(n);
  const creators = Math.max(4, Math.floor(n / 200));
  const prices = [300, 500, 800, 1000, 1500];
  priceCents[CREATOR] = 500;
  for (let k = 1; k <= creators && k < n - 1; k++) {
    const u = byRank[k];
    if (u !== VIEWER_5K && u !== VIEWER_200) priceCents[u] = rng.pick(prices);
  }
  return { n, ids, names, created, rankOf, byRank, priceCents, followers: new Int32Array(n), following: new Int32Array(n), posts: new Int32Array(n) };
}

export function userRow(u: Users, i: number, passwordHash: string): (string | number | boolean | null)[] {
  const created = new Date(u.created[i]).toISOString();
  const name = i < SPECIAL_ACCOUNTS ? u.names[i].replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase()) : displayName(u.names[i], i);
  return [
    u.ids[i], u.names[i], `${u.names[i]}@demo.x18.local`, passwordHash, name,
    i === CREATOR ? 'Creator of the demo: 100k followers, premium and pay-per-view posts.' : null,
    i === CREATOR || u.rankOf[i] < 20, 'user', u.priceCents[i] || null, 'usd',
    u.followers[i], u.following[i], u.posts[i], created, created,
  ];
}

export const USER_COLUMNS = [
  'id', 'username', 'email', 'password_hash', 'display_name', 'bio', 'verified', 'role', 'subscription_price_cents',
  'currency', 'followers_count', 'following_count', 'posts_count', 'created_at', 'updated_at',
];

/**
 * The follow graph: each person follows a log-normal number of accounts (median 10), drawn by Zipf over popularity,
 * so follower counts follow a power law. The creator is followed by the first min(100,000, users − 1) accounts,
 * the 5k viewer follows the min(5,000, users − 1) most popular accounts, the 200 viewer 200 Zipf-drawn ones.
 */
export function makeFollows(o: DemoOptions, u: Users, onUser?: () => void): Follows {
  const rng = new Rng(o.seed, 2);
  const zipf = new Zipf(u.n, 1.0);
  let cap = 1 << 20;
  let follower = new Int32Array(cap);
  let following = new Int32Array(cap);
  let at = new Float64Array(cap);
  let count = 0;
  const push = (a: number, b: number) => {
    if (count === cap) {
      cap *= 2;
      const grow = <T extends Int32Array | Float64Array>(old: T, fresh: T): T => (fresh.set(old), fresh);
      follower = grow(follower, new Int32Array(cap));
      following = grow(following, new Int32Array(cap));
      at = grow(at, new Float64Array(cap));
    }
    const since = Math.max(u.created[a], u.created[b], o.now - 365 * DAY);
    follower[count] = a;
    following[count] = b;
    at[count] = since + Math.floor(rng.next() * (o.now - since));
    count++;
    u.following[a]++;
    u.followers[b]++;
  };
  const creatorFollowers = Math.min(CREATOR_FOLLOWERS, u.n - 1);
  const maxFollows = Math.min(1000, u.n - 1);
  const targets = new Set<number>();
  for (let a = 0; a < u.n; a++) {
    targets.clear();
    if (a !== CREATOR && a <= creatorFollowers) targets.add(CREATOR);
    let want: number;
    if (a === VIEWER_5K) want = Math.min(VIEWER_5K_FOLLOWS, u.n - 1);
    else if (a === VIEWER_200) want = Math.min(VIEWER_200_FOLLOWS, u.n - 1);
    else if (a === WRITER) want = Math.min(10, u.n - 1);
    else want = Math.min(maxFollows, Math.round(rng.logNormal(10, 1.1)));
    // Only the first `creatorFollowers` accounts follow the creator: the others can reach n − 2 accounts at most.
    want = Math.min(want, u.n - 1 - (a !== CREATOR && !targets.has(CREATOR) ? 1 : 0));
    if (a === VIEWER_5K) {
      for (let k = 0; targets.size < want && k < u.n; k++) if (u.byRank[k] !== a) targets.add(u.byRank[k]);
    }
    for (let tries = 0; targets.size < want && tries < want * 20; tries++) {
      const b = u.byRank[zipf.sample(rng)];
      if (b !== a && b !== CREATOR) targets.add(b);
    }
    while (targets.size < want) {
      const b = rng.int(u.n);
      if (b !== a && b !== CREATOR) targets.add(b);
    }
    for (const b of targets) push(a, b);
    onUser?.();
  }
  return { count, follower: follower.subarray(0, count), following: following.subarray(0, count), at: at.subarray(0, count) };
}

export function hashtags(o: DemoOptions, count: number): { ids: string[]; names: string[]; created: number } {
  const rng = new Rng(o.seed, 3);
  const created = o.now - 400 * DAY;
  const names = hashtagNames(count);
  return { ids: names.map(() => uuid7(created, rng)), names, created };
}

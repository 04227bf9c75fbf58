import { CopyValue, isoMs } from './copy';
import { CREATOR, CREATOR_SUBSCRIBER_SHARE, CREATOR_FOLLOWERS, DemoOptions, Follows, Users, VIEWER_200, WRITER } from './demo-graph';
import { postText, sentence } from './demo-text';
import { Rng, Zipf } from './prng';
import { uuid7 } from './uuid7';

const DAY = 86_400_000;
export const KIND_ORIGINAL = 0;
export const KIND_REPLY = 1;
export const KIND_REPOST = 2;
const VISIBILITY = ['public', 'followers', 'subscribers'] as const;
const PUBLIC = 0;
const FOLLOWERS = 1;
const SUBSCRIBERS = 2;
const PPV_PRICES = [199, 299, 499, 999];
export const HASHTAG_COUNT = 300;

/** The post structure (who, when, what kind, which parent), decided before anything is written. */
export interface Posts {
  n: number;
  ids: string[];
  author: Int32Array;
  at: Float64Array;
  kind: Uint8Array;
  vis: Uint8Array;
  /** 0: not premium; 1: premium for subscribers; 2: pay-per-view (price in `price`). */
  premium: Uint8Array;
  price: Int32Array;
  /** reply_to (reply) or repost_of (repost) index; -1 for none. */
  ref: Int32Array;
  root: Int32Array;
  likes: Int32Array;
  replies: Int32Array;
  reposts: Int32Array;
}

/**
 * Posts over the last year, in time order (so UUID v7 ids ascend with `created_at`). Authors by Zipf over
 * popularity (popular accounts post more); 20% replies and 5% reposts of recent public posts; creators' posts are
 * 10% premium, 4% pay-per-view and 3% subscribers-only; 1.5% of other posts are followers-only. Like counts are
 * log-normal; likes go to public, non-premium posts.
 */
export function makePosts(o: DemoOptions, u: Users, onPost?: () => void): Posts {
  const n = o.posts;
  const rng = new Rng(o.seed, 4);
  const zipf = new Zipf(u.n, 0.8);
  const p: Posts = {
    n, ids: new Array(n), author: new Int32Array(n), at: new Float64Array(n), kind: new Uint8Array(n), vis: new Uint8Array(n),
    premium: new Uint8Array(n), price: new Int32Array(n), ref: new Int32Array(n).fill(-1), root: new Int32Array(n).fill(-1),
    likes: new Int32Array(n), replies: new Int32Array(n), reposts: new Int32Array(n),
  };
  const start = o.now - 365 * DAY;
  const span = 365 * DAY - 60_000;
  const reposted = new Set<number>();
  const maxLikes = Math.max(0, Math.floor((u.n - 2) / 2));
  const likesMedian = o.likesPerPost / Math.exp(1.2 * 1.2 / 2);
  const recent = (i: number, p0: number) => Math.max(0, i - 1 - rng.geometric(p0));
  for (let i = 0; i < n; i++) {
    let a = u.byRank[zipf.sample(rng)];
    if (a === WRITER) a = u.byRank[1 + rng.int(u.n - 2)];
    p.author[i] = a;
    p.at[i] = Math.max(start + Math.floor(((i + rng.next()) * span) / n), u.created[a] + 1);
    p.ids[i] = uuid7(p.at[i], rng);
    u.posts[a]++;
    const r = rng.next();
    if (i > 100 && r < 0.05) {
      const j = recent(i, 0.002);
      const key = a * n + j;
      if (p.kind[j] !== KIND_REPOST && p.vis[j] === PUBLIC && p.author[j] !== a && !reposted.has(key)) {
        reposted.add(key);
        p.kind[i] = KIND_REPOST;
        p.ref[i] = j;
        p.reposts[j]++;
        onPost?.();
        continue;
      }
    } else if (i > 100 && r < 0.25) {
      const j = recent(i, 0.0005);
      if (p.kind[j] !== KIND_REPOST && p.vis[j] === PUBLIC) {
        p.kind[i] = KIND_REPLY;
        p.ref[i] = j;
        p.root[i] = p.root[j] >= 0 ? p.root[j] : j;
        p.replies[j]++;
      }
    }
    if (p.kind[i] === KIND_ORIGINAL) {
      const v = rng.next();
      if (u.priceCents[a]) {
        if (v < 0.1) p.premium[i] = 1;
        else if (v < 0.14) {
          p.premium[i] = 2;
          p.price[i] = rng.pick(PPV_PRICES);
        } else if (v < 0.17) p.vis[i] = SUBSCRIBERS;
        else if (v < 0.18) p.vis[i] = FOLLOWERS;
      } else if (v < 0.015) p.vis[i] = FOLLOWERS;
    }
    if (p.vis[i] === PUBLIC && !p.premium[i]) {
      const boost = a === CREATOR ? 4 : 1;
      p.likes[i] = Math.min(maxLikes, Math.floor(rng.logNormal(likesMedian, 1.2) * boost));
    }
    onPost?.();
  }
  return p;
}

export const POST_COLUMNS = [
  'id', 'user_id', 'content', 'content_html', 'reply_to_id', 'root_post_id', 'repost_of_id', 'metadata', 'likes_count',
  'replies_count', 'retweets_count', 'visibility', 'is_premium', 'price_cents', 'preview', 'currency', 'created_at', 'updated_at',
];

/** Post rows with their text (drawn per post from its own generator), and the (post, hashtag) pairs they use. */
export function* postRows(o: DemoOptions, u: Users, p: Posts, publicUrl: string, tagNames: string[], tagPairs: number[]): Generator<CopyValue[]> {
  const tagZipf = new Zipf(HASHTAG_COUNT, 1.0);
  for (let i = 0; i < p.n; i++) {
    const created = isoMs(p.at[i]);
    const ref = p.ref[i] >= 0 ? p.ids[p.ref[i]] : null;
    if (p.kind[i] === KIND_REPOST) {
      yield [p.ids[i], u.ids[p.author[i]], '', null, null, null, ref, null, 0, p.replies[i], p.reposts[i], 'public', false, null, null, 'usd', created, created];
      continue;
    }
    const rng = new Rng(o.seed, 11, i);
    const tags: number[] = [];
    if (p.kind[i] === KIND_ORIGINAL && rng.chance(0.3)) {
      const count = rng.chance(0.7) ? 1 : 2;
      while (tags.length < count) {
        const t = tagZipf.sample(rng);
        if (!tags.includes(t)) tags.push(t);
      }
    }
    for (const t of tags) tagPairs.push(i, t);
    const mention = p.kind[i] === KIND_REPLY && p.author[p.ref[i]] !== p.author[i] ? p.author[p.ref[i]] : -1;
    const text = postText(rng, publicUrl, mention >= 0 ? u.names[mention] : undefined, tags.map((t) => tagNames[t]));
    const metadata = JSON.stringify({ mentions: mention >= 0 ? [u.ids[mention]] : [], hashtags: tags.map((t) => tagNames[t]) });
    const premium = p.premium[i] > 0;
    yield [
      p.ids[i], u.ids[p.author[i]], text.content, text.html, p.kind[i] === KIND_REPLY ? ref : null,
      p.root[i] >= 0 ? p.ids[p.root[i]] : null, null, metadata, p.likes[i], p.replies[i], p.reposts[i], VISIBILITY[p.vis[i]],
      premium, p.premium[i] === 2 ? p.price[i] : null, premium ? `Subscribers see it all: ${sentence(rng, 4, 12)}…` : null,
      'usd', created, created,
    ];
  }
}

export const LIKE_COLUMNS = ['id', 'user_id', 'post_id', 'created_at'];

/** Each liked post's likers: distinct accounts other than the author, each at most three days after the post. */
export function* likeRows(o: DemoOptions, u: Users, p: Posts): Generator<CopyValue[]> {
  const likers = new Set<number>();
  for (let i = 0; i < p.n; i++) {
    const k = p.likes[i];
    if (!k) continue;
    const rng = new Rng(o.seed, 7, i);
    likers.clear();
    while (likers.size < k) {
      const who = rng.int(u.n);
      if (who !== p.author[i]) likers.add(who);
    }
    const window = Math.min(3 * DAY, o.now - p.at[i]);
    for (const who of likers) {
      const at = p.at[i] + 1 + Math.floor(rng.next() * Math.max(window - 1, 0));
      yield [uuid7(at, rng), u.ids[who], p.ids[i], isoMs(at)];
    }
  }
}

export function totalLikes(p: Posts): number {
  let sum = 0;
  for (let i = 0; i < p.n; i++) sum += p.likes[i];
  return sum;
}

export const SUBSCRIPTION_COLUMNS = [
  'id', 'subscriber_id', 'creator_id', 'status', 'price_cents', 'currency', 'stripe_subscription_id', 'current_period_start',
  'current_period_end', 'cancel_at_period_end', 'canceled_at', 'stripe_state_at', 'created_at', 'updated_at',
];

/**
 * The big creator: its first followers, 20% of them, hold active subscriptions (the 5k viewer among them, the 200
 * viewer not). Other creators: 5% of their followers, mostly active, some trialing, past_due (within the grace
 * period) or canceled.
 */
export function subscriptionRows(o: DemoOptions, u: Users, f: Follows): CopyValue[][] {
  const rng = new Rng(o.seed, 5);
  const rows: CopyValue[][] = [];
  let serial = 0;
  const add = (subscriber: number, creator: number, status: string) => {
    const start = o.now - Math.floor(rng.next() * 25 * DAY);
    const end = status === 'past_due' ? o.now - DAY : start + 30 * DAY;
    const created = Math.max(u.created[subscriber], u.created[creator]) + 1 + Math.floor(rng.next() * DAY);
    const id = uuid7(Math.min(created, start), rng);
    serial++;
    rows.push([
      id, u.ids[subscriber], u.ids[creator], status, u.priceCents[creator], 'usd', `sub_demo_${o.seed}_${serial}`, isoMs(start),
      isoMs(end), false, status === 'canceled' ? isoMs(start) : null, isoMs(start), isoMs(Math.min(created, start)), isoMs(start),
    ]);
  };
  const creatorFollowers = Math.min(CREATOR_FOLLOWERS, u.n - 1);
  const wanted = Math.ceil(creatorFollowers * CREATOR_SUBSCRIBER_SHARE);
  for (let a = 1, made = 0; a <= creatorFollowers && made < wanted; a++) {
    if (a === VIEWER_200 || a === WRITER) continue;
    add(a, CREATOR, 'active');
    made++;
  }
  for (let e = 0; e < f.count; e++) {
    const creator = f.following[e];
    if (creator === CREATOR || !u.priceCents[creator] || f.follower[e] === VIEWER_200 || !rng.chance(0.05)) continue;
    const s = rng.next();
    add(f.follower[e], creator, s < 0.85 ? 'active' : s < 0.9 ? 'trialing' : s < 0.95 ? 'past_due' : 'canceled');
  }
  return rows;
}

export const UNLOCK_COLUMNS = ['id', 'user_id', 'post_id', 'price_cents', 'currency', 'status', 'stripe_checkout_session_id', 'stripe_payment_intent_id', 'created_at'];

/** Pay-per-view purchases: a few buyers per priced post (geometric, mean 3). */
export function unlockRows(o: DemoOptions, u: Users, p: Posts): CopyValue[][] {
  const rng = new Rng(o.seed, 6);
  const rows: CopyValue[][] = [];
  const buyers = new Set<number>();
  let serial = 0;
  for (let i = 0; i < p.n; i++) {
    if (p.premium[i] !== 2) continue;
    buyers.clear();
    const k = Math.min(rng.geometric(0.25), u.n - 2);
    while (buyers.size < k) {
      const who = rng.int(u.n);
      if (who !== p.author[i] && who !== VIEWER_200) buyers.add(who);
    }
    for (const who of buyers) {
      const at = p.at[i] + 1 + Math.floor(rng.next() * Math.max(o.now - p.at[i] - 1, 0));
      serial++;
      rows.push([uuid7(at, rng), u.ids[who], p.ids[i], p.price[i], 'usd', 'paid', `cs_demo_${o.seed}_${serial}`, `pi_demo_${o.seed}_${serial}`, isoMs(at)]);
    }
  }
  return rows;
}

export const MUTE_COLUMNS = ['id', 'muter_id', 'muted_id', 'created_at'];

/** One account in a hundred mutes another (never the creator). */
export function muteRows(o: DemoOptions, u: Users): CopyValue[][] {
  const rng = new Rng(o.seed, 8);
  const rows: CopyValue[][] = [];
  for (let a = 0; a < u.n; a++) {
    if (!rng.chance(0.01)) continue;
    const b = rng.int(u.n);
    if (b === a || b === CREATOR) continue;
    const at = Math.max(u.created[a], u.created[b]) + 1;
    rows.push([uuid7(at, rng), u.ids[a], u.ids[b], isoMs(at)]);
  }
  return rows;
}

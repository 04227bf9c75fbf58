/**
 * The benchmark's baseline: the same endpoints over the same data, answered by a bare `node:http` server with `pg`
 * and `ioredis` and hand-written SQL: no framework, no ORM, no validation library. The queries and their order are
 * the service's (PostsRepository, PostViewsService, PostAccessPolicy, SessionsService), so the difference measured
 * is what the framework and the ORM cost, not a different design: when the service's SQL changes, this file follows
 * (a page is the page query, the reposted originals when there are reposts, and one statement for the access
 * relations, likes, reposts and media; an inbox page is the messages repository's statements, docs/inbox.md). Started by
 * `bench/run.ts`; configured by env.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import Redis from 'ioredis';
import { Pool, PoolClient } from 'pg';
import { v7 } from 'uuid';
import { extractEntities, renderContent } from '@/modules/posts/post-content';
import { displayNameWords, likePrefix, parsePostsQuery, PostsQuery, usernamePrefix } from '@/modules/search/search-query';

const env = process.env;
const pool = new Pool({ connectionString: env.DATABASE_URL, max: Number(env.DATABASE_POOL_MAX ?? 10) });
pool.on('error', (error) => console.error(`idle database connection lost: ${error.message}`));
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const PREFIX = env.REDIS_PREFIX ?? 'x18';
const SECRET = env.JWT_SECRET ?? '';
const GRACE = Number(env.PAST_DUE_GRACE_DAYS ?? 3);
const PUBLIC_URL = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');
const SESSION_TTL = 15 * 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Viewer {
  id: string;
  role: string;
}
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

const q = async (sql: string, params: unknown[] = [], client?: PoolClient): Promise<Row[]> => (await (client ?? pool).query(sql, params)).rows;

// --- auth: HS256 JWT, then the session from an in-process cache, Redis, PostgreSQL, as the service's JWT strategy does ---

function verifyJwt(token: string): { sub: string; sid: string } | undefined {
  const [h, p, s] = token.split('.');
  if (!h || !p || !s) return undefined;
  try {
    if (JSON.parse(Buffer.from(h, 'base64url').toString()).alg !== 'HS256') return undefined;
    const expected = createHmac('sha256', SECRET).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return undefined;
    return typeof claims.sub === 'string' && UUID.test(claims.sid ?? '') ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sessions checked in the last SESSION_CACHE_TTL_MS, as the service's in-process session cache keeps them (without
 * its revocation channel: the bench revokes nothing), so that neither side pays a Redis round trip per request.
 */
const SESSION_CACHE_TTL_MS = Number(process.env.SESSION_CACHE_TTL_MS ?? 5000);
const sessionCache = new Map<string, { viewer: Viewer; until: number }>();

async function authenticate(req: IncomingMessage): Promise<Viewer> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const claims = match && verifyJwt(match[1]);
  if (!claims) throw new HttpError(401, 'unauthorized');
  const hit = sessionCache.get(claims.sid);
  if (hit && hit.until > Date.now() && hit.viewer.id === claims.sub) return hit.viewer;
  const viewer = await checkSession(claims);
  if (SESSION_CACHE_TTL_MS > 0) sessionCache.set(claims.sid, { viewer, until: Date.now() + SESSION_CACHE_TTL_MS });
  return viewer;
}

async function checkSession(claims: { sub: string; sid: string }): Promise<Viewer> {
  const key = `${PREFIX}:sess:${claims.sid}`;
  const cached = await redis.get(key).catch(() => undefined);
  if (cached === 'revoked') throw new HttpError(401, 'unauthorized');
  if (cached) {
    const { u, r } = JSON.parse(cached);
    if (u !== claims.sub) throw new HttpError(401, 'unauthorized');
    return { id: u, role: r };
  }
  const [row] = await q(
    `select s.user_id, u.role from sessions s join users u on u.id = s.user_id
      where s.id = $1 and s.revoked_at is null and s.expires_at > now() and u.suspended_at is null`,
    [claims.sid],
  );
  await redis.set(key, row ? JSON.stringify({ u: row.user_id, r: row.role }) : 'revoked', 'EX', SESSION_TTL, 'NX').catch(() => undefined);
  if (!row || row.user_id !== claims.sub) throw new HttpError(401, 'unauthorized');
  return { id: row.user_id, role: row.role };
}

// --- posts: the service's SQL ---

const POST_COLUMNS = `p.id, p.user_id, p.content, p.content_html, p.reply_to_id, p.root_post_id, p.repost_of_id,
  p.likes_count, p.replies_count, p.retweets_count as reposts_count, p.visibility, p.is_premium, p.price_cents,
  p.preview, p.currency, p.created_at, p.edited_at, p.deleted_at,
  u.username as author_username, u.display_name as author_display_name, u.avatar_url as author_avatar_url,
  u.verified as author_verified, u.suspended_at as author_suspended_at`;
const FROM = 'from posts p join users u on u.id = p.user_id';
const LIVE = 'p.deleted_at is null and u.suspended_at is null';
const hasAccess = (viewer: string, grace: string) => `exists (select 1 from subscriptions s where s.subscriber_id = ${viewer} and s.creator_id = p.user_id
  and (s.status in ('active', 'trialing') or (s.status = 'past_due' and s.current_period_end + make_interval(days => ${grace}) > now())))`;
const notMutedRepost = (viewer: string) => `not exists (
  select 1 from posts o where o.id = p.repost_of_id and exists (select 1 from mutes mut where mut.muter_id = ${viewer} and mut.muted_id = o.user_id))`;

function keyset(cursor: string | undefined, next: number): { sql: string; params: unknown[] } {
  if (!cursor) return { sql: '', params: [] };
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at);
  if (!id || !UUID.test(id) || Number.isNaN(date.getTime())) throw new HttpError(400, 'validation_failed');
  return { sql: `and (p.created_at, p.id) < ($${next}, $${next + 1})`, params: [date, id] };
}

function findRows(ids: string[]): Promise<Row[]> {
  return ids.length ? q(`select ${POST_COLUMNS} ${FROM} where p.id = any($1::uuid[]) and ${LIVE}`, [ids]) : Promise.resolve([]);
}

function homePage(viewer: string, following: number, cursor: string | undefined, limit: number): Promise<Row[]> {
  const visible = `(p.visibility <> 'subscribers' or p.user_id = $1 or ${hasAccess('$1', '$2')})`;
  const c = keyset(cursor, 3);
  const lim = `$${3 + c.params.length}`;
  if (following <= 20) {
    return q(
      `with authors as (
         select $1::uuid as id
         union all
         select f.following_id from follows f where f.follower_id = $1
            and not exists (select 1 from mutes m where m.muter_id = $1 and m.muted_id = f.following_id))
       select ${POST_COLUMNS} from authors a
        cross join lateral (
          select p.* from posts p
           where p.user_id = a.id and p.deleted_at is null and ${visible} and ${notMutedRepost('$1')} ${c.sql}
           order by p.created_at desc, p.id desc limit ${lim}) p
        join users u on u.id = p.user_id
       where u.suspended_at is null
       order by p.created_at desc, p.id desc limit ${lim}`,
      [viewer, GRACE, ...c.params, limit],
    );
  }
  return q(
    `select ${POST_COLUMNS} ${FROM}
      where ${LIVE}
        and (p.user_id = $1 or p.user_id in (select following_id from follows where follower_id = $1))
        and ${visible}
        and not exists (select 1 from mutes m where m.muter_id = $1 and m.muted_id = p.user_id)
        and ${notMutedRepost('$1')}
        ${c.sql}
      order by p.created_at desc, p.id desc limit ${lim}`,
    [viewer, GRACE, ...c.params, limit],
  );
}

function publicPage(viewer: string, cursor: string | undefined, limit: number): Promise<Row[]> {
  const c = keyset(cursor, 2);
  return q(
    `select ${POST_COLUMNS} ${FROM}
      where ${LIVE} and p.visibility = 'public' and p.repost_of_id is null
        and not exists (select 1 from blocks b where (b.blocker_id = $1 and b.blocked_id = p.user_id) or (b.blocker_id = p.user_id and b.blocked_id = $1))
        and not exists (select 1 from mutes m where m.muter_id = $1 and m.muted_id = p.user_id) ${c.sql}
      order by p.created_at desc, p.id desc limit $${2 + c.params.length}`,
    [viewer, ...c.params, limit],
  );
}

/**
 * PostAccessPolicy.judge + PostViewsService.render: the same statement, one round trip for the access rule's relations
 * (follows, blocks, subscriptions, unlocks) and the viewer's likes, reposts and the media of every row, each asked
 * only when there is something to ask (as `askTogether`).
 */
async function askTogether(parts: { name: string; sql: (p: (v: unknown) => string) => string; json?: boolean }[]): Promise<Record<string, unknown>> {
  if (!parts.length) return {};
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const columns = parts.map((part) => (part.json ? `(${part.sql(p)}) as ${part.name}` : `array(${part.sql(p)})::text[] as ${part.name}`));
  const [row] = await q(`select ${columns.join(', ')}`, params);
  return row;
}

async function render(viewer: Viewer, rows: Row[]): Promise<Row[]> {
  const originalIds = [...new Set(rows.map((r) => r.repost_of_id).filter(Boolean))] as string[];
  const originals = new Map((await findRows(originalIds)).map((r) => [r.id, r]));
  const all = [...rows, ...originals.values()];
  const others = all.filter((p) => p.user_id !== viewer.id);
  const authors = [...new Set(others.map((p) => p.user_id as string))];
  const needsSub = [...new Set(others.filter((p) => p.visibility === 'subscribers' || (p.is_premium && p.price_cents == null)).map((p) => p.user_id as string))];
  const ppv = others.filter((p) => p.is_premium && p.price_cents != null).map((p) => p.id as string);
  const ids = all.map((r) => r.id as string);
  const answers = await askTogether([
    ...(authors.length
      ? [
          { name: 'following', sql: (p: (v: unknown) => string) => `select following_id from follows where follower_id = ${p(viewer.id)} and following_id = any(${p(authors)}::uuid[])` },
          {
            name: 'blocked',
            sql: (p: (v: unknown) => string) =>
              `select blocked_id from blocks where blocker_id = ${p(viewer.id)} and blocked_id = any(${p(authors)}::uuid[]) union select blocker_id from blocks where blocked_id = ${p(viewer.id)} and blocker_id = any(${p(authors)}::uuid[])`,
          },
        ]
      : []),
    ...(needsSub.length
      ? [
          {
            name: 'subscribed',
            sql: (p: (v: unknown) => string) =>
              `select creator_id from subscriptions where subscriber_id = ${p(viewer.id)} and creator_id = any(${p(needsSub)}::uuid[])
                 and (status in ('active', 'trialing') or (status = 'past_due' and current_period_end + make_interval(days => ${p(GRACE)}) > now()))`,
          },
        ]
      : []),
    ...(ppv.length ? [{ name: 'unlocked', sql: (p: (v: unknown) => string) => `select post_id from post_unlocks where user_id = ${p(viewer.id)} and post_id = any(${p(ppv)}::uuid[]) and status = 'paid'` }] : []),
    ...(ids.length
      ? [
          { name: 'liked', sql: (p: (v: unknown) => string) => `select post_id from likes where user_id = ${p(viewer.id)} and post_id = any(${p(ids)}::uuid[])` },
          { name: 'reposted', sql: (p: (v: unknown) => string) => `select repost_of_id from posts where user_id = ${p(viewer.id)} and repost_of_id = any(${p(ids)}::uuid[]) and deleted_at is null` },
          {
            name: 'media',
            json: true,
            sql: (p: (v: unknown) => string) =>
              `select coalesce(json_agg(json_build_object('id', m.id, 'post_id', m.post_id, 'type', m.type, 'status', m.status, 'url', m.url)
                 order by m.position asc, m.created_at asc), '[]'::json) from media m where m.post_id = any(${p(ids)}::uuid[])`,
          },
        ]
      : []),
  ]);
  const set = (name: string) => new Set((answers[name] as string[] | undefined) ?? []);
  const [following, blocked, subscribed, unlocked, liked, reposted] = ['following', 'blocked', 'subscribed', 'unlocked', 'liked', 'reposted'].map(set);
  const media = (answers.media as Row[] | undefined) ?? [];
  const access = new Map<string, { visible: boolean; locked: boolean }>();
  for (const p of all) {
    if (p.user_id === viewer.id) {
      access.set(p.id, { visible: true, locked: false });
      continue;
    }
    const visible =
      !p.author_suspended_at && !blocked.has(p.user_id) &&
      (p.visibility === 'public' || (p.visibility === 'followers' && following.has(p.user_id)) || (p.visibility === 'subscribers' && subscribed.has(p.user_id)));
    const paid = p.price_cents != null ? unlocked.has(p.id) : subscribed.has(p.user_id);
    access.set(p.id, { visible, locked: visible && p.is_premium && !paid });
  }
  const view = (row: Row): Row | undefined => {
    const a = access.get(row.id);
    if (!a?.visible) return undefined;
    let repostOf: Row | null = null;
    if (row.repost_of_id) {
      const original = originals.get(row.repost_of_id);
      repostOf = (original && view(original)) || null;
      if (!repostOf) return undefined;
    }
    const subject = row.repost_of_id ?? row.id;
    return {
      id: row.id,
      author: { id: row.user_id, username: row.author_username, display_name: row.author_display_name, avatar_url: row.author_avatar_url, verified: row.author_verified },
      content: a.locked ? null : row.content,
      content_html: a.locked ? null : row.content_html,
      reply_to_id: row.reply_to_id,
      root_post_id: row.root_post_id,
      repost_of: repostOf,
      media: media.filter((m) => m.post_id === row.id).map((m) => ({ id: m.id, type: m.type, status: m.status, url: a.locked ? null : m.url })),
      likes_count: row.likes_count,
      replies_count: row.replies_count,
      reposts_count: row.reposts_count,
      visibility: row.visibility,
      is_premium: row.is_premium,
      price_cents: row.price_cents,
      currency: row.currency,
      locked: a.locked,
      preview: row.preview,
      liked: liked.has(subject),
      reposted: reposted.has(subject),
      created_at: new Date(row.created_at).toISOString(),
      edited_at: row.edited_at ? new Date(row.edited_at).toISOString() : null,
    };
  };
  return rows.map(view).filter((v): v is Row => v !== undefined);
}

async function page(viewer: Viewer, rows: Row[], limit: number): Promise<{ data: Row[]; next_cursor: string | null }> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  const next = more ? Buffer.from(`${new Date(last.created_at).toISOString()}|${last.id}`).toString('base64url') : null;
  return { data: await render(viewer, items), next_cursor: next };
}

async function getVisible(viewer: Viewer, id: string): Promise<{ row: Row; view: Row }> {
  if (!UUID.test(id)) throw new HttpError(400, 'validation_failed');
  const [row] = await findRows([id]);
  const [view] = row ? await render(viewer, [row]) : [];
  if (!row || !view) throw new HttpError(404, 'not_found');
  return { row, view };
}

async function transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const outbox = (client: PoolClient, type: string, payload: object) =>
  q('insert into outbox_events (id, type, payload, created_at, attempts) values ($1, $2, $3, $4, 0)', [v7(), type, JSON.stringify(payload), new Date()], client);

async function createPost(viewer: Viewer, body: Row): Promise<Row> {
  const allowed = new Set(['content', 'visibility', 'is_premium', 'price_cents', 'preview', 'reply_to_id', 'media_ids']);
  if (typeof body.content !== 'string' || body.content.length < 1 || body.content.length > 5000 || Object.keys(body).some((k) => !allowed.has(k))) {
    throw new HttpError(400, 'validation_failed');
  }
  const entities = extractEntities(body.content);
  const mentioned = entities.mentions.length
    ? await q('select id, username from users where lower(username) = any($1::text[]) and suspended_at is null', [entities.mentions])
    : [];
  const html = renderContent(body.content, { publicUrl: PUBLIC_URL, users: new Map(mentioned.map((u) => [u.username.toLowerCase(), u.username])) });
  const isPremium = body.is_premium === true || body.price_cents !== undefined;
  const id = v7();
  const now = new Date();
  await transaction(async (client) => {
    await q(
      `insert into posts (id, user_id, content, content_html, metadata, visibility, is_premium, price_cents, preview, currency,
         likes_count, replies_count, retweets_count, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'usd', 0, 0, 0, $10, $10)`,
      [id, viewer.id, body.content, html, JSON.stringify({ mentions: mentioned.map((u) => u.id), hashtags: entities.hashtags }),
        body.visibility ?? 'public', isPremium, body.price_cents ?? null, body.preview ?? null, now],
      client,
    );
    await q('delete from post_hashtags where post_id = $1', [id], client);
    if (entities.hashtags.length) {
      await q(
        'insert into hashtags (id, name, created_at) select * from unnest($1::uuid[], $2::text[], $3::timestamptz[]) on conflict (name) do nothing',
        [entities.hashtags.map(() => v7()), entities.hashtags, entities.hashtags.map(() => now)],
        client,
      );
      await q('insert into post_hashtags (post_id, hashtag_id, created_at) select $1, id, $2 from hashtags where name = any($3::text[]) on conflict do nothing', [id, now, entities.hashtags], client);
    }
    await q('update users set posts_count = greatest(posts_count + 1, 0) where id = $1', [viewer.id], client);
    if (isPremium) await outbox(client, 'premium_post.published', { postId: id, authorId: viewer.id });
  });
  return (await getVisible(viewer, id)).view;
}

async function like(viewer: Viewer, id: string): Promise<Row> {
  let { row } = await getVisible(viewer, id);
  if (row.repost_of_id) row = (await getVisible(viewer, row.repost_of_id)).row;
  // One statement, as PostsRepository.addLike: the like, its counter and (someone else's post) the outbox event.
  const notify = row.user_id !== viewer.id;
  await q(
    `with ins as (insert into likes (id, user_id, post_id, created_at) values ($1, $2, $3, $4)
                  on conflict (user_id, post_id) do nothing returning post_id),
          counted as (update posts set likes_count = likes_count + 1 where id in (select post_id from ins) returning id)
     ${notify ? `insert into outbox_events (id, type, payload, created_at, attempts) select $5, 'post.liked', $6::jsonb, $4, 0 from counted returning id` : 'select id from counted'}`,
    [v7(), viewer.id, row.id, new Date(), ...(notify ? [v7(), JSON.stringify({ postId: row.id, userId: viewer.id, authorId: row.user_id })] : [])],
  );
  return (await getVisible(viewer, row.id)).view;
}

async function me(viewer: Viewer): Promise<Row> {
  const [u] = await q('select * from users where id = $1 and suspended_at is null', [viewer.id]);
  if (!u) throw new HttpError(404, 'not_found');
  return {
    id: u.id, username: u.username, display_name: u.display_name, bio: u.bio, avatar_url: u.avatar_url, cover_url: u.cover_url,
    verified: u.verified, role: u.role, subscription_price_cents: u.subscription_price_cents, currency: u.currency,
    created_at: new Date(u.created_at).toISOString(), followers_count: u.followers_count, following_count: u.following_count,
    posts_count: u.posts_count, email: u.email,
  };
}

function limitOf(url: URL): number {
  const raw = url.searchParams.get('limit');
  const limit = raw === null ? 20 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400, 'validation_failed');
  return limit;
}

function readJson(req: IncomingMessage): Promise<Row> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString() || '{}'));
      } catch {
        reject(new HttpError(400, 'validation_failed'));
      }
    });
    req.on('error', reject);
  });
}

// --- search and suggestions: SearchRepository's and DiscoveryRepository's SQL, with `?` numbered here ---

/** `?` placeholders as pg's `$n` (the service's SQL is written with `?`, as knex takes it). */
const qq = (text: string, params: unknown[]): Promise<Row[]> => {
  let n = 0;
  return q(text.replace(/\?/g, () => `$${++n}`), params);
};
const SEARCH_WINDOWS_DAYS = [3, 30, 180];
const notBlockedOrMuted = (author: string) =>
  `not exists (select 1 from blocks blk where (blk.blocker_id = ? and blk.blocked_id = ${author}) or (blk.blocker_id = ${author} and blk.blocked_id = ?))
   and not exists (select 1 from mutes mut where mut.muter_id = ? and mut.muted_id = ${author})`;

function searchPostsQuery(viewer: string, parsed: PostsQuery, cursor: string | undefined, limit: number, since: Date | undefined): Promise<Row[]> {
  const params: unknown[] = [viewer, viewer, viewer, GRACE, viewer, viewer, viewer];
  const where = [
    'p.deleted_at is null and u.suspended_at is null and p.repost_of_id is null',
    `(p.user_id = ? or (
      (p.visibility = 'public'
        or (p.visibility = 'followers' and exists (select 1 from follows f where f.follower_id = ? and f.following_id = p.user_id))
        or (p.visibility = 'subscribers' and exists (select 1 from subscriptions sa where sa.subscriber_id = ? and sa.creator_id = p.user_id
              and (sa.status in ('active', 'trialing') or (sa.status = 'past_due' and sa.current_period_end + make_interval(days => ?) > now())))))
      and ${notBlockedOrMuted('p.user_id')}))`,
  ];
  if (parsed.text) {
    where.push(`p.search_vector @@ websearch_to_tsquery('simple', public.search_fold(?))`);
    params.push(parsed.text);
  }
  if (parsed.authors.length) {
    where.push('p.user_id = (select id from users where lower(username) = ? and suspended_at is null)');
    params.push(parsed.authors[0]);
  }
  if (since) {
    where.push('p.created_at >= ?');
    params.push(since);
  }
  const c = keyset(cursor, 1);
  if (c.sql) {
    where.push('(p.created_at, p.id) < (?, ?)');
    params.push(...c.params);
  }
  return qq(`select ${POST_COLUMNS} ${FROM} where ${where.join(' and ')} order by p.created_at desc, p.id desc limit ?`, [...params, limit]);
}

/** Words, phrases and from: (the bench's forms; hashtag queries are not benchmarked), over the same time windows. */
async function searchPosts(viewer: string, text: string, cursor: string | undefined, limit: number): Promise<Row[]> {
  const parsed = parsePostsQuery(text);
  if (parsed.tags.length) throw new HttpError(400, 'validation_failed');
  if (parsed.authors.length > 1 || (!parsed.text && !parsed.authors.length)) return [];
  const newest = cursor ? new Date(Buffer.from(cursor, 'base64url').toString('utf8').split('|')[0]) : new Date();
  if (!parsed.authors.length && /^[\p{L}\p{N}]+$/u.test(parsed.text.trim())) return searchPostsQuery(viewer, parsed, cursor, limit, undefined);
  let rows: Row[] = [];
  for (const days of [...SEARCH_WINDOWS_DAYS, undefined]) {
    rows = await searchPostsQuery(viewer, parsed, cursor, limit, days === undefined ? undefined : new Date(newest.getTime() - days * 86_400_000));
    if (rows.length >= limit) break;
  }
  return rows;
}

function publicUser(u: Row): Row {
  return {
    id: u.id, username: u.username, display_name: u.display_name, bio: u.bio, avatar_url: u.avatar_url, cover_url: u.cover_url,
    verified: u.verified, role: u.role, subscription_price_cents: u.subscription_price_cents, currency: u.currency,
    created_at: new Date(u.created_at).toISOString(), followers_count: u.followers_count, following_count: u.following_count, posts_count: u.posts_count,
  };
}

async function usersByIds(ids: string[]): Promise<Row[]> {
  const rows = ids.length ? await q('select * from users where id = any($1::uuid[]) and suspended_at is null', [ids]) : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.filter((id) => byId.has(id)).map((id) => publicUser(byId.get(id)!));
}

/** The first page of a users search (the bench asks for no other). */
async function searchUsers(viewer: string, text: string, limit: number): Promise<{ data: Row[]; next_cursor: string | null }> {
  const prefix = usernamePrefix(text);
  const words = displayNameWords(text);
  const branches: string[] = [];
  const params: unknown[] = [prefix ?? ''];
  if (prefix) {
    branches.push('lower(u.username) like ?');
    params.push(likePrefix(prefix));
  }
  if (words.length) {
    branches.push(words.map(() => `(public.search_fold(u.display_name) like public.search_fold(?) || '%' or public.search_fold(u.display_name) like '% ' || public.search_fold(?) || '%')`).join(' and '));
    for (const w of words) params.push(w, w);
  }
  if (!branches.length) return { data: [], next_cursor: null };
  const hits = await qq(
    `select u.id, (lower(u.username) = ?)::int as exact, u.followers_count from users u
      where u.suspended_at is null and (${branches.join(' or ')})
        and not exists (select 1 from blocks blk where (blk.blocker_id = ? and blk.blocked_id = u.id) or (blk.blocker_id = u.id and blk.blocked_id = ?))
      order by 2 desc, u.followers_count desc, u.id desc limit ?`,
    [...params, viewer, viewer, limit + 1],
  );
  const page = hits.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: await usersByIds(page.map((h) => h.id)),
    next_cursor: hits.length > limit ? Buffer.from(JSON.stringify([last.exact, last.followers_count, last.id])).toString('base64url') : null,
  };
}

async function suggestions(viewer: string, limit: number): Promise<Row[]> {
  const eligible = (c: string) => `${c} <> ? and not exists (select 1 from follows mine where mine.follower_id = ? and mine.following_id = ${c}) and ${notBlockedOrMuted(c)}`;
  const rows = await qq(
    `with followees as (
       select f.following_id as id from follows f where f.follower_id = ? order by f.created_at desc, f.id desc limit 200),
     friends_of_friends as (
       select ff.following_id as id, count(*)::int as weight
         from followees fe cross join lateral (
           select f.following_id from follows f where f.follower_id = fe.id order by f.created_at desc, f.id desc limit 50) ff
        group by ff.following_id),
     ranked as (
       select c.id, c.weight, u.followers_count from friends_of_friends c join users u on u.id = c.id
        where u.suspended_at is null and ${eligible('c.id')}
        order by c.weight desc, u.followers_count desc, c.id desc limit ?),
     popular as (
       select u.id, 0 as weight, u.followers_count from users u
        where u.suspended_at is null and ${eligible('u.id')}
        order by u.followers_count desc, u.id desc limit ?)
     select id from (select id, max(weight) as weight, max(followers_count) as followers_count
                       from (select * from ranked union all select * from popular) c group by id) best
      order by weight desc, followers_count desc, id desc limit ?`,
    [viewer, viewer, viewer, viewer, viewer, viewer, limit, viewer, viewer, viewer, viewer, viewer, limit, limit],
  );
  return usersByIds(rows.map((r) => r.id));
}

// --- the inbox: MessagesRepository's, EntitlementsService's and MediaRepository's SQL (docs/inbox.md), mirrored ---

/** `in (?)` with an array, as knex expands it: `in ($n, $n+1, …)`. */
const inList = (values: unknown[], params: unknown[]): string => values.map((v) => (params.push(v), `$${params.length}`)).join(', ');
const MESSAGE_COLUMNS = `m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.content_html, m.price_cents, m.preview,
  m.tip_cents, m.mass_message_id, m.created_at, m.deleted_at, s.username as sender_username, s.display_name as sender_display_name,
  s.avatar_url as sender_avatar_url, s.verified as sender_verified`;
const MESSAGE_FROM = 'messages m join users s on s.id = m.sender_id';
const MEMBER_COLUMNS = `cm.conversation_id, cm.user_id, cm.other_user_id, cm.status, cm.unread_count, cm.last_message_id,
  cm.last_activity_at, cm.hidden_at, c.created_at, o.username as other_username, o.display_name as other_display_name,
  o.avatar_url as other_avatar_url, o.verified as other_verified`;
const MEMBER_FROM = 'conversation_members cm join conversations c on c.id = cm.conversation_id join users o on o.id = cm.other_user_id';
const MEDIA_JSON = `select coalesce(json_agg(json_build_object(
         'id', m.id, 'postId', m.message_id, 'type', m.type, 'status', m.status, 'storageKey', m.storage_key,
         'previewKey', m.preview_key, 'width', m.width, 'height', m.height, 'size', m.size, 'mimeType', m.mime_type,
         'altText', m.alt_text, 'blurhash', m.blurhash, 'createdAt', m.created_at)
       order by m.position asc, m.created_at asc), '[]'::json)
     from media m where m.message_id in`;

function decodeKeyset(cursor: string | null): { at: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at);
  if (!id || !UUID.test(id) || Number.isNaN(date.getTime())) throw new HttpError(400, 'validation_failed');
  return { at: date, id };
}
const encodeKeyset = (at: Date, id: string) => Buffer.from(`${new Date(at).toISOString()}|${id}`).toString('base64url');

/**
 * MessageViewsService.render: one statement for what the viewer bought and the rows' media (askTogether's shape:
 * `array(…)::text[]`, then the JSON), then the views (media of rows unsent or not shown dropped).
 */
async function renderMessages(viewer: Viewer, rows: Row[]): Promise<Row[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  // A mass message's copies share its media (attached to the mass message's id).
  const keys = [...new Set(rows.map((r) => (r.mass_message_id ?? r.id) as string))];
  const params: unknown[] = [viewer.id];
  const boughtSql = `select message_id as id from message_unlocks where user_id = $1 and message_id in (${inList(ids, params)}) and status = 'paid'`;
  const mediaSql = `${MEDIA_JSON} (${inList(keys, params)})`;
  const [answers] = await q(`select array(${boughtSql})::text[] as bought, (${mediaSql}) as media`, params);
  const bought = new Set(answers.bought as string[]);
  const shown = rows.filter((m) => m.sender_id === viewer.id || m.recipient_id === viewer.id);
  const visible = new Set(shown.map((m) => m.id));
  const locked = new Set(shown.filter((m) => m.price_cents != null && m.sender_id !== viewer.id && !bought.has(m.id)).map((m) => m.id));
  const unsent = new Set(shown.filter((m) => m.deleted_at && !bought.has(m.id)).map((m) => m.id));
  const byKey = new Map<string, Row[]>();
  for (const m of (answers.media ?? []) as Row[]) byKey.set(m.postId, [...(byKey.get(m.postId) ?? []), m]);
  const media = new Map<string, Row[]>();
  for (const r of shown) {
    if (!visible.has(r.id) || unsent.has(r.id)) continue;
    const items = byKey.get(r.mass_message_id ?? r.id) ?? [];
    media.set(r.id, items.map((m) => (locked.has(r.id) ? { id: m.id, type: m.type } : { id: m.id, type: m.type, status: m.status, url: `${PUBLIC_URL}/media/${m.id}`, alt_text: m.altText, blurhash: m.blurhash })));
  }
  return shown.map((r) => {
    const hidden = locked.has(r.id) || unsent.has(r.id);
    return {
      id: r.id,
      conversation_id: r.conversation_id,
      sender: { id: r.sender_id, username: r.sender_username, display_name: r.sender_display_name, avatar_url: r.sender_avatar_url, verified: r.sender_verified },
      content: hidden ? null : r.content,
      content_html: hidden ? null : r.content_html,
      media: unsent.has(r.id) ? [] : (media.get(r.id) ?? []),
      price_cents: r.price_cents,
      locked: locked.has(r.id),
      preview: r.preview,
      tip_cents: r.tip_cents,
      created_at: new Date(r.created_at).toISOString(),
      deleted_at: r.deleted_at ? new Date(r.deleted_at).toISOString() : null,
    };
  });
}

/** GET /conversations: MessagesRepository.memberPage (with each side's latest message as JSON), then the renderer. */
async function conversations(viewer: Viewer, url: URL): Promise<Row> {
  const limit = limitOf(url);
  const status = url.searchParams.get('status') ?? 'active';
  if (status !== 'active' && status !== 'request') throw new HttpError(400, 'validation_failed');
  const cursor = decodeKeyset(url.searchParams.get('cursor'));
  const params: unknown[] = [viewer.id, status];
  const after = cursor ? `and (cm.last_activity_at, cm.conversation_id) < ($3, $4)` : '';
  if (cursor) params.push(cursor.at, cursor.id);
  params.push(limit + 1);
  const rows = await q(
    `select ${MEMBER_COLUMNS}, (select row_to_json(lm) from (select ${MESSAGE_COLUMNS} from ${MESSAGE_FROM} where m.id = cm.last_message_id) lm) as last_message
       from ${MEMBER_FROM}
       where cm.user_id = $1 and cm.status = $2 and cm.hidden_at is null and cm.last_activity_at is not null ${after}
       order by cm.last_activity_at desc, cm.conversation_id desc limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = await renderMessages(viewer, page.map((r) => r.last_message).filter(Boolean));
  const byId = new Map(last.map((m) => [m.id, m]));
  const end = page[page.length - 1];
  return {
    data: page.map((r) => ({
      id: r.conversation_id,
      with: { id: r.other_user_id, username: r.other_username, display_name: r.other_display_name, avatar_url: r.other_avatar_url, verified: r.other_verified },
      status: r.status,
      unread_count: r.status === 'request' ? 0 : r.unread_count,
      last_message: r.last_message_id ? (byId.get(r.last_message_id) ?? null) : null,
      created_at: new Date(r.created_at).toISOString(),
      updated_at: new Date(r.last_activity_at ?? r.created_at).toISOString(),
    })),
    next_cursor: rows.length > limit ? encodeKeyset(end.last_activity_at, end.conversation_id) : null,
  };
}

/** GET /conversations/:id/messages: MessagesRepository.messagePage (membership asked in it; no rows: the side, 404 if none), the renderer. */
async function messagePage(viewer: Viewer, conversationId: string, url: URL): Promise<Row> {
  if (!UUID.test(conversationId)) throw new HttpError(400, 'validation_failed');
  const limit = limitOf(url);
  const cursor = decodeKeyset(url.searchParams.get('cursor'));
  const params: unknown[] = [conversationId, viewer.id];
  const after = cursor ? 'and (m.created_at, m.id) < ($3, $4)' : '';
  if (cursor) params.push(cursor.at, cursor.id);
  params.push(limit + 1);
  const rows = await q(
    `select ${MESSAGE_COLUMNS} from ${MESSAGE_FROM}
      where m.conversation_id = $1 and exists (select 1 from conversation_members cm where cm.conversation_id = $1 and cm.user_id = $2) ${after}
      order by m.created_at desc, m.id desc limit $${params.length}`,
    params,
  );
  if (!rows.length) {
    const [member] = await q(`select ${MEMBER_COLUMNS} from ${MEMBER_FROM} where cm.conversation_id = $1 and cm.user_id = $2`, [conversationId, viewer.id]);
    if (!member) throw new HttpError(404, 'not_found');
  }
  const page = rows.slice(0, limit);
  const end = page[page.length - 1];
  return { data: await renderMessages(viewer, page), next_cursor: rows.length > limit ? encodeKeyset(end.created_at, end.id) : null };
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<[number, unknown]> {
  const url = new URL(req.url ?? '/', PUBLIC_URL);
  const path = url.pathname;
  if (path === '/health/live') return [200, { status: 'ok' }];
  const viewer = await authenticate(req);
  if (req.method === 'GET' && path === '/api/v1/me') return [200, await me(viewer)];
  if (req.method === 'GET' && (path === '/api/v1/timelines/home' || path === '/api/v1/timelines/public')) {
    const limit = limitOf(url);
    const cursor = url.searchParams.get('cursor') ?? undefined;
    let rows: Row[];
    if (path.endsWith('home')) {
      const [u] = await q('select following_count from users where id = $1 and suspended_at is null', [viewer.id]);
      if (!u) throw new HttpError(404, 'not_found');
      rows = await homePage(viewer.id, u.following_count, cursor, limit + 1);
    } else {
      rows = await publicPage(viewer.id, cursor, limit + 1);
    }
    const body = await page(viewer, rows, limit);
    if (body.next_cursor) {
      url.searchParams.set('cursor', body.next_cursor);
      res.setHeader('Link', `<${url.toString()}>; rel="next"`);
    }
    return [200, body];
  }
  if (req.method === 'GET' && path === '/api/v1/search') {
    const text = url.searchParams.get('q') ?? '';
    const limit = limitOf(url);
    if (url.searchParams.get('type') === 'users') return [200, await searchUsers(viewer.id, text, limit)];
    if (url.searchParams.get('type') !== 'posts' || !text || text.length > 200) throw new HttpError(400, 'validation_failed');
    return [200, await page(viewer, await searchPosts(viewer.id, text, url.searchParams.get('cursor') ?? undefined, limit + 1), limit)];
  }
  if (req.method === 'GET' && path === '/api/v1/users/suggestions') {
    const limit = Number(url.searchParams.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 40) throw new HttpError(400, 'validation_failed');
    return [200, { data: await suggestions(viewer.id, limit) }];
  }
  if (req.method === 'GET' && path === '/api/v1/conversations') return [200, await conversations(viewer, url)];
  const inbox = /^\/api\/v1\/conversations\/([^/]+)\/messages$/.exec(path);
  if (inbox && req.method === 'GET') return [200, await messagePage(viewer, inbox[1], url)];
  if (req.method === 'POST' && path === '/api/v1/posts') return [201, await createPost(viewer, await readJson(req))];
  const post = /^\/api\/v1\/posts\/([^/]+)(\/like)?$/.exec(path);
  if (post && req.method === 'GET' && !post[2]) return [200, (await getVisible(viewer, post[1])).view];
  if (post && req.method === 'POST' && post[2]) return [200, await like(viewer, post[1])];
  throw new HttpError(404, 'not_found');
}

const server = createServer((req, res) => {
  const requestId = randomBytes(8).toString('hex');
  route(req, res)
    .then(([status, body]) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId });
      res.end(JSON.stringify(body));
    })
    .catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) console.error(error);
      res.writeHead(status, { 'content-type': 'application/problem+json', 'x-request-id': requestId });
      res.end(JSON.stringify({ type: 'about:blank', status, code: error instanceof HttpError ? error.code : 'internal' }));
    });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(env.PORT ?? 3101), env.HOST ?? '127.0.0.1', () => console.log(`baseline listening on ${env.PORT ?? 3101}`));
const stop = () => server.close(() => void Promise.allSettled([pool.end(), redis.quit()]).then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

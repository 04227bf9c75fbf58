/**
 * `npm run bench`: the service against a bare node:http baseline on the same seeded database, endpoint by endpoint,
 * with autocannon (same settings, warmed up, interleaved rounds, medians), plus the fan-out and notification-batch
 * measurements. Writes bench/results/latest.json and latest.svg. See `--help` and the README's "Benchmarks".
 */
import 'reflect-metadata';
import { canConnect } from '../src/common/database/embedded-postgres';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { loadConfig } from '@/common/config/load-config';
import { startEmbeddedPostgres } from '@/common/database/embedded-postgres';
import { fail, parseArgs } from '../scripts/lib/args';
import { connect, ensureDatabase, withDatabase } from '../scripts/lib/database';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../scripts/lib/demo-graph';
import { chartFromReport } from './lib/chart';
import { load, LoadResult, LoadSpec, median } from './lib/load';
import { run, start, stop, waitForHttp } from './lib/processes';
import { measureFanOut, measureNotificationBatches, waitForIdleQueues } from './lib/special';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');
const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_PREFIX = process.env.BENCH_REDIS_PREFIX ?? 'x18bench';

const USAGE = `Benchmarks the service against a bare node:http + pg baseline on a seeded database.

  npm run bench -- [options]

Builds, seeds the target database when it has no users (scripts/seed-demo.ts), starts the built service
(node dist/src/main.js, APP_ROLE=all) and the baseline (bench/baseline-server.ts) side by side, then drives both
with autocannon: per endpoint a warm-up each, then interleaved rounds (ours, baseline, ours, …); the table shows
medians. Then: premium-post fan-out time and notification batch rate. Results: bench/results/latest.{json,svg}.

The database: --database-url, else DATABASE_URL, else the database x18_bench on the local PostgreSQL
(postgres@127.0.0.1:5432, created if missing), else x18_bench on the embedded PostgreSQL. Redis: REDIS_URL,
keys under the prefix BENCH_REDIS_PREFIX (default x18bench: give parallel benches on one Redis their own).`;

const args = parseArgs(
  process.argv.slice(2),
  [
    { name: 'posts', value: 'number', default: 200_000, help: 'posts to seed when seeding (1000000 for the full run)' },
    { name: 'users', value: 'number', help: 'users to seed (default: 11% of posts, between 20,000 and 110,000)' },
    { name: 'connections', value: 'number', default: 64, help: 'autocannon connections' },
    { name: 'duration', value: 'number', default: 5, help: 'seconds per measured round' },
    { name: 'warmup', value: 'number', default: 2, help: 'seconds of warm-up per endpoint and server' },
    { name: 'rounds', value: 'number', default: 3, help: 'measured rounds per endpoint and server' },
    { name: 'webhook-connections', value: 'number', default: 200, help: 'connections for the Stripe webhook row' },
    { name: 'only', value: 'string', help: 'comma-separated endpoint keys (me,home200,home5k,public,post,deep,create,like,webhook,searchcommon,searchrare,searchphrase,searchfrom,searchusers,suggest5k)' },
    { name: 'database-url', value: 'string', help: 'postgres:// URL of the bench database' },
    { name: 'reseed', help: 'empty the database and seed it again at the requested scale' },
    { name: 'skip-build', help: 'use the existing dist/ build' },
    { name: 'skip-special', help: 'skip the fan-out and notification-batch measurements' },
    { name: 'redraw', help: 'only redraw bench/results/latest.svg from latest.json' },
    { name: 'cpu-prof', help: 'run the service under node --cpu-prof (profiles in bench/results/profiles)' },
    { name: 'port', value: 'number', default: 3100, help: 'port of the service (the baseline uses the next one)' },
  ],
  USAGE,
);
const posts = args.posts as number;
const users = (args.users as number | undefined) ?? Math.min(110_000, Math.max(20_000, Math.round(posts * 0.11)));
const settings = { connections: args.connections as number, duration: args.duration as number };
const log = (line: string) => process.stderr.write(`${line}\n`);

const reachable = (url: string) => canConnect(url, 1500);

async function benchDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  const given = (args['database-url'] as string | undefined) ?? process.env.DATABASE_URL;
  if (given) return { url: given, stop: async () => undefined };
  if (await reachable(LOCAL_SERVER)) {
    const url = withDatabase(LOCAL_SERVER, 'x18_bench');
    await ensureDatabase(url);
    return { url, stop: async () => undefined };
  }
  const config = loadConfig();
  const embedded = await startEmbeddedPostgres(config.dataDir, config.database.embeddedPort);
  const url = withDatabase(embedded.url, 'x18_bench');
  await ensureDatabase(url);
  return { url, stop: embedded.stop };
}

async function scaleOf(url: string): Promise<{ users: number; posts: number }> {
  const db = await connect(url, 'x18-bench');
  try {
    const { rows: [t] } = await db.query(`select to_regclass('users') is not null as ok`);
    if (!t.ok) return { users: 0, posts: 0 };
    const { rows: [c] } = await db.query(`select (select count(*) from users where role <> 'admin')::int as users, (select count(*) from posts)::int as posts`);
    return c;
  } finally {
    await db.end();
  }
}

async function ensureSeeded(url: string): Promise<{ users: number; posts: number }> {
  const scale = await scaleOf(url);
  const seed = (reset: boolean) =>
    run(process.execPath, ['-r', './test/support/ts-register.js', 'scripts/seed-demo.ts', '--database-url', url, '--users', String(users), '--posts', String(posts), ...(reset ? ['--reset'] : [])]);
  if (args.reseed || !scale.users) {
    log(`seeding ${users} users and ${posts} posts into the bench database…`);
    await seed(!!scale.users);
    return scaleOf(url);
  }
  const explicit = process.argv.some((a) => a.startsWith('--posts') || a.startsWith('--users'));
  if (explicit && (Math.abs(scale.posts - posts) > posts * 0.1 || Math.abs(scale.users - users) > users * 0.1)) {
    fail(`the bench database holds ${scale.users} users and ${scale.posts} posts, not the ${users} / ${posts} asked for: add --reseed`);
  }
  log(`using the seeded bench database: ${scale.users} users, ${scale.posts} posts`);
  return scale;
}

/**
 * Removes what earlier bench runs wrote (the writer's posts, the fan-out's premium posts, with their likes,
 * hashtags and notifications), so every run reads the seeded timelines: otherwise each run's POST /posts round
 * would pile thousands of newer posts on top of the home and public timelines of the next.
 */
async function cleanUp(url: string): Promise<number> {
  const db = await connect(url, 'x18-bench');
  try {
    await db.query('begin');
    await db.query(
      `create temporary table bench_leftovers on commit drop as
         select p.id from posts p join users u on u.id = p.user_id
          where u.username = $1 or (u.username = $2 and p.content like 'Premium drop for subscribers #bench%')`,
      [DEMO_ACCOUNTS.writer, DEMO_ACCOUNTS.creator],
    );
    // The dependents first, one statement each: a cascade would probe notifications (no post_id index) and the
    // self-references root_post_id and repost_of_id (partial indexes only) once per deleted post.
    for (const table of ['notifications', 'likes', 'post_hashtags', 'post_unlocks']) {
      await db.query(`delete from ${table} where post_id in (select id from bench_leftovers)`);
    }
    await db.query(`update media set post_id = null where post_id in (select id from bench_leftovers)`);
    // Nothing else points at these posts (nobody replies to or reposts them in a bench run): with a superuser the
    // per-row foreign-key checks are skipped, otherwise they run (slowly, on 1M posts).
    const { rows: [role] } = await db.query(`select rolsuper from pg_roles where rolname = current_user`);
    if (role.rolsuper) await db.query(`set local session_replication_role = replica`);
    const { rowCount } = await db.query(`delete from posts where id in (select id from bench_leftovers)`);
    await db.query(
      `update users u set posts_count = (select count(*) from posts p where p.user_id = u.id and p.deleted_at is null) where u.username = any($1::text[])`,
      [[DEMO_ACCOUNTS.writer, DEMO_ACCOUNTS.creator]],
    );
    await db.query('commit');
    if (rowCount) await db.query('vacuum (analyze) posts, likes, notifications, post_hashtags');
    return rowCount ?? 0;
  } catch (error) {
    await db.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await db.end();
  }
}

/** The posts-search rows: key, label, query. */
const SEARCHES: [string, string, string][] = [
  ['searchcommon', 'search posts: common word `coffee`', 'coffee'],
  ['searchrare', 'search posts: rare word `serendipity`', 'serendipity'],
  ['searchphrase', 'search posts: phrase `"café crème"`', '"café crème"'],
  ['searchfrom', 'search posts: `from:demo_creator coffee`', `from:${DEMO_ACCOUNTS.creator} coffee`],
];

interface Account {
  id: string;
  username: string;
  token: string;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  if (loadAtStart > 0.5) log(`note: the machine's load average is ${loadAtStart.toFixed(2)} before the bench starts; other work skews the figures`);
  const target = await benchDatabase();
  let ours: ChildProcess | undefined;
  let baseline: ChildProcess | undefined;
  try {
    const scale = await ensureSeeded(target.url);
    const removed = await cleanUp(target.url);
    if (removed) log(`removed ${removed} posts left by earlier bench runs`);
    if (!args['skip-build']) {
      log('building…');
      await run('npm', ['run', 'build', '--silent']);
    }
    const port = args.port as number;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: target.url,
      REDIS_PREFIX: REDIS_PREFIX,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      JWT_ACCESS_TTL: '2h',
      LOG_LEVEL: 'warn',
      APP_ROLE: 'all',
      HOST: '127.0.0.1',
      DATA_DIR: join(tmpdir(), 'x18-bench'),
      STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET ?? `whsec_${randomBytes(16).toString('hex')}`,
      STRIPE_SECRET_KEY: process.env.STRIPE_SECRET_KEY ?? 'sk_test_bench',
      RATE_LIMIT_LOGIN_ACCOUNT: '1000000/1m',
      RATE_LIMIT_LOGIN_IP: '1000000/1m',
      RATE_LIMIT_REGISTER_IP: '1000000/1m',
      RATE_LIMIT_REFRESH_SESSION: '1000000/1m',
      RATE_LIMIT_MEDIA_UPLOAD: '1000000/1m',
      RATE_LIMIT_POST_CREATE: '1000000/1m',
    };
    const oursUrl = `http://127.0.0.1:${port}`;
    const baseUrl = `http://127.0.0.1:${port + 1}`;
    const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS, 'profiles')}`] : [];
    // Whatever ends the bench, its two servers end with it.
    process.once('exit', () => [ours, baseline].forEach((c) => c?.exitCode === null && c.kill('SIGKILL')));
    ours = start('ours', process.execPath, [...profile, 'dist/src/main.js'], { ...env, PORT: String(port), PUBLIC_URL: oursUrl });
    baseline = start('baseline', process.execPath, ['-r', './test/support/ts-register.js', 'bench/baseline-server.ts'], { ...env, PORT: String(port + 1), PUBLIC_URL: oursUrl });
    await Promise.all([waitForHttp(`${oursUrl}/health/ready`, ours), waitForHttp(`${baseUrl}/health/live`, baseline)]);
    log('both servers are up');

    const api = async (method: string, path: string, token: string, body?: unknown, base = oursUrl) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    };
    const login = async (username: string): Promise<Account> => {
      const res = await fetch(`${oursUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: username, password: DEMO_PASSWORD }) });
      if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}`);
      const body = (await res.json()) as { user: { id: string }; access_token: string };
      return { id: body.user.id, username, token: body.access_token };
    };

    const db = await connect(target.url, 'x18-bench');
    const [viewer200, viewer5k, writer, creator] = await Promise.all([DEMO_ACCOUNTS.viewer200, DEMO_ACCOUNTS.viewer5k, DEMO_ACCOUNTS.writer, DEMO_ACCOUNTS.creator].map(login));
    const likerNames = (await db.query(`select username from users where role = 'user' and username not like 'demo\\_%' order by id limit 50`)).rows.map((r) => r.username as string);
    const likers: Account[] = [];
    for (const name of likerNames) likers.push(await login(name));
    const likeTargets = (
      await db.query(
        `select p.id from posts p where p.visibility = 'public' and not p.is_premium and p.repost_of_id is null and p.deleted_at is null
          order by p.created_at desc limit 20000`,
      )
    ).rows.map((r) => r.id as string);
    const [single] = (
      await db.query(
        `select p.id from posts p where p.visibility = 'public' and not p.is_premium and p.repost_of_id is null and p.deleted_at is null and p.likes_count > 0
          order by p.created_at desc limit 1 offset 100`,
      )
    ).rows;
    const { rows: [{ n: publicCount }] } = await db.query(`select count(*)::int as n from posts p join users u on u.id = p.user_id
        where p.deleted_at is null and u.suspended_at is null and p.visibility = 'public' and p.repost_of_id is null`);
    const depth = Math.max(0, Math.min(500_000, publicCount - 25));
    const { rows: [deep] } = await db.query(
      `select p.created_at, p.id from posts p join users u on u.id = p.user_id
        where p.deleted_at is null and u.suspended_at is null and p.visibility = 'public' and p.repost_of_id is null
        order by p.created_at desc, p.id desc offset $1 limit 1`,
      [depth],
    );
    const deepCursor = Buffer.from(`${new Date(deep.created_at).toISOString()}|${deep.id}`).toString('base64url');
    const openapi = (await (await fetch(`${oursUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    const hasWebhook = Object.keys(openapi.paths).some((p) => p === '/api/v1/webhooks/stripe');

    const auth = (a: Account) => ({ authorization: `Bearer ${a.token}` });
    const json = { 'content-type': 'application/json' };
    let serial = 0;
    const endpoints: { key: string; label: string; spec: LoadSpec; connections?: number; oursOnly?: boolean }[] = [
      { key: 'me', label: 'GET /me (trivial, authenticated)', spec: { path: '/api/v1/me', headers: auth(viewer200) } },
      { key: 'home200', label: 'home timeline, follows 200', spec: { path: '/api/v1/timelines/home', headers: auth(viewer200) } },
      { key: 'home5k', label: `home timeline, follows ${(await scaleFollowing(db, viewer5k.id)).toLocaleString('en-US')}`, spec: { path: '/api/v1/timelines/home', headers: auth(viewer5k) } },
      { key: 'public', label: 'public timeline, page 1', spec: { path: '/api/v1/timelines/public', headers: auth(viewer200) } },
      { key: 'deep', label: `public timeline at depth ${depth.toLocaleString('en-US')}`, spec: { path: `/api/v1/timelines/public?cursor=${deepCursor}`, headers: auth(viewer200) } },
      { key: 'post', label: 'GET /posts/:id', spec: { path: `/api/v1/posts/${single.id}`, headers: auth(viewer200) } },
      // Search (docs/search.md): the seed writes `coffee` in about 8% of posts, `serendipity` in about one in 10,000.
      ...SEARCHES.map(([key, label, q]) => ({ key, label, spec: { path: `/api/v1/search?type=posts&q=${encodeURIComponent(q)}`, headers: auth(viewer200) } })),
      { key: 'searchusers', label: 'search users: prefix `ana`', spec: { path: '/api/v1/search?type=users&q=ana', headers: auth(viewer200) } },
      { key: 'suggest5k', label: `who to follow, follows ${(await scaleFollowing(db, viewer5k.id)).toLocaleString('en-US')}`, spec: { path: '/api/v1/users/suggestions', headers: auth(viewer5k) } },
      {
        key: 'create',
        label: 'POST /posts',
        spec: { method: 'POST', path: '/api/v1/posts', headers: { ...auth(writer), ...json }, body: JSON.stringify({ content: 'Benchmark post with a #benchmark tag and some words to render' }) },
      },
      {
        key: 'like',
        label: 'POST /posts/:id/like',
        spec: {
          method: 'POST',
          path: '/api/v1/posts/x/like',
          vary: () => {
            serial++;
            const who = likers[serial % likers.length];
            const post = likeTargets[Math.floor(Math.random() * likeTargets.length)];
            return { path: `/api/v1/posts/${post}/like`, headers: auth(who) };
          },
        },
      },
    ];
    if (hasWebhook) {
      const secret = env.STRIPE_WEBHOOK_SECRET!;
      endpoints.push({
        key: 'webhook',
        label: `Stripe webhook ack (${args['webhook-connections']} connections)`,
        connections: args['webhook-connections'] as number,
        oursOnly: true,
        spec: { method: 'POST', path: '/api/v1/webhooks/stripe', headers: json, vary: () => signedStripeEvent(secret, ++serial) },
      });
    }
    const only = args.only ? new Set(String(args.only).split(',')) : undefined;
    const selected = endpoints.filter((e) => !only || only.has(e.key));

    // Same answers from both: the ids of each read endpoint's page, and a 2xx for the writes.
    for (const e of selected) {
      const path = e.spec.vary ? e.spec.vary().path! : e.spec.path;
      const headers = e.spec.vary ? e.spec.vary().headers : e.spec.headers;
      const token = (headers?.authorization ?? '').slice(7);
      const body = e.spec.body ? JSON.parse(e.spec.body) : undefined;
      if (e.oursOnly) continue;
      const [a, b] = [await api(e.spec.method ?? 'GET', path, token, body), await api(e.spec.method ?? 'GET', path, token, body, baseUrl)];
      if (a.status >= 300 || b.status >= 300) throw new Error(`${e.key}: ours ${a.status}, baseline ${b.status}`);
      const ids = (x: { body: { data?: { id: string }[]; id?: string } }) => JSON.stringify(x.body.data ? x.body.data.map((p) => p.id) : [x.body.id]);
      if (!e.spec.method && ids(a) !== ids(b)) log(`warning: ${e.key}: ours and the baseline answer different items`);
    }

    const table: Record<string, unknown>[] = [];
    for (const e of selected) {
      const conn = { ...settings, connections: e.connections ?? settings.connections };
      const servers = ([['ours', oursUrl], ['baseline', baseUrl]] as const).filter(([name]) => !e.oursOnly || name === 'ours');
      for (const [name, base] of servers) {
        await load(base, e.spec, { ...conn, duration: args.warmup as number });
        log(`${e.key.padEnd(8)} ${name.padEnd(8)} warmed up`);
      }
      const results: Record<'ours' | 'baseline', LoadResult[]> = { ours: [], baseline: [] };
      for (let r = 1; r <= (args.rounds as number); r++) {
        for (const [name, base] of servers) {
          const res = await load(base, e.spec, conn);
          results[name].push(res);
          log(`${e.key.padEnd(8)} ${name.padEnd(8)} round ${r}/${args.rounds}: ${res.rps.toFixed(0)} rps, p50 ${res.p50} ms, p99 ${res.p99} ms${res.non2xx || res.errors ? `, ${res.non2xx} non-2xx, ${res.errors} errors` : ''}`);
        }
      }
      const summary = (list: LoadResult[]) => list.length ? ({
        rps: Math.round(median(list.map((x) => x.rps))),
        p50: median(list.map((x) => x.p50)),
        p99: median(list.map((x) => x.p99)),
        non2xx: list.reduce((s, x) => s + x.non2xx, 0),
        errors: list.reduce((s, x) => s + x.errors, 0),
        rounds: list.map((x) => Math.round(x.rps)),
      }) : null;
      const o = summary(results.ours);
      const b = summary(results.baseline);
      table.push({ key: e.key, endpoint: e.label, connections: conn.connections, ours: o, baseline: b, ratio: o && b ? Number((o.rps / b.rps).toFixed(2)) : null });
    }
    const notes: string[] = [];
    if (!hasWebhook && (!only || only.has('webhook'))) notes.push('POST /api/v1/webhooks/stripe does not exist in this build: the webhook row is skipped.');
    if (hasWebhook) notes.push('The Stripe webhook row has no baseline: its target is absolute (p99 at 200 connections).');

    let special: Record<string, unknown> = {};
    if (!args['skip-special']) {
      const config = loadConfig({ ...env, DATABASE_URL: target.url });
      const sample = (
        await db.query(`select u.username from follows f join users u on u.id = f.follower_id where f.following_id = $1 and u.username not like 'demo\\_%' order by f.id limit 20`, [creator.id])
      ).rows.map((r) => r.username as string);
      const tokens: string[] = [];
      for (const name of sample) tokens.push((await login(name)).token);
      log('waiting for the write benchmarks\' notifications to drain…');
      const drainedMs = await waitForIdleQueues(db, config.redis.url, REDIS_PREFIX);
      log(`queues idle after ${(drainedMs / 1000).toFixed(1)} s`);
      log('fan-out: a premium post by the big creator…');
      const fanOut = await measureFanOut(api, db, creator, tokens, config.billing.pastDueGraceDays);
      log(`fan-out: ${JSON.stringify(fanOut)}`);
      log('notification batches: ours vs raw INSERT…');
      const batches = await measureNotificationBatches(config, target.url, db, creator.id);
      log(`notification batches: ${JSON.stringify(batches)}`);
      special = { drainBeforeFanOutMs: Math.round(drainedMs), fanOut, notificationBatches: batches };
    }
    await db.end();

    const { rows: [pg] } = await (async () => {
      const c = await connect(target.url, 'x18-bench');
      try {
        return await c.query(`select current_setting('server_version') as version`);
      } finally {
        await c.end();
      }
    })();
    const machine = { loadAverageAtStart: Number(loadAtStart.toFixed(2)), cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: pg.version };
    const report = {
      date: new Date().toISOString(),
      machine,
      scale,
      settings: { ...settings, warmup: args.warmup, rounds: args.rounds, databasePoolMax: 10 },
      endpoints: table,
      special,
      notes,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(RESULTS, 'latest.svg'), chartFromReport(report as unknown as Parameters<typeof chartFromReport>[0]));
    printTable(table, special, notes);
  } finally {
    await Promise.allSettled([stop(ours), stop(baseline)]);
    await target.stop();
  }
}

/** A Stripe-signed event (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.payload")`), a new event id each time. */
function signedStripeEvent(secret: string, n: number): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    id: `evt_bench_${Date.now()}_${n}`,
    object: 'event',
    type: 'customer.created',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `cus_bench_${n}`, object: 'customer' } },
    livemode: false,
    api_version: '2025-01-27.acacia',
  });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return { body, headers: { 'stripe-signature': `t=${t},v1=${v1}` } };
}

async function scaleFollowing(db: Client, id: string): Promise<number> {
  return (await db.query(`select following_count from users where id = $1`, [id])).rows[0].following_count;
}

function printTable(table: Record<string, unknown>[], special: Record<string, unknown>, notes: string[]): void {
  const lines = [
    '',
    '| endpoint | ours rps | baseline rps | ratio | ours p50 / p99 ms | baseline p50 / p99 ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...table.map((r) => {
      type Side = { rps: number; p50: number; p99: number } | null;
      const row = r as { endpoint: string; ratio: number | null; ours: Side; baseline: Side };
      const cell = (x: Side, f: (s: NonNullable<Side>) => string) => (x ? f(x) : 'n/a');
      return `| ${row.endpoint} | ${cell(row.ours, (x) => String(x.rps))} | ${cell(row.baseline, (x) => String(x.rps))} | ${row.ratio?.toFixed(2) ?? 'n/a'} | ${cell(row.ours, (x) => `${x.p50} / ${x.p99}`)} | ${cell(row.baseline, (x) => `${x.p50} / ${x.p99}`)} |`;
    }),
    '',
  ];
  const fan = special.fanOut as { followers: number; subscribers: number; timelinesMs: number; notificationsMs: number; totalMs: number } | undefined;
  if (fan) {
    lines.push(
      `Premium post by a creator with ${fan.followers} followers: in every sampled follower's home timeline after ${fan.timelinesMs.toFixed(0)} ms, ` +
        `all ${fan.subscribers} subscribed_post notifications after ${fan.notificationsMs.toFixed(0)} ms (total ${fan.totalMs.toFixed(0)} ms).`,
    );
  }
  const nb = special.notificationBatches as { rows: number; oursRowsPerSecond: number; rawRowsPerSecond: number; ratio: number } | undefined;
  if (nb) {
    lines.push(`Notification batches (${nb.rows} rows): fan-out path ${nb.oursRowsPerSecond.toFixed(0)} rows/s, raw INSERT ${nb.rawRowsPerSecond.toFixed(0)} rows/s, ratio ${nb.ratio.toFixed(2)}.`);
  }
  lines.push(...notes, '', 'Written: bench/results/latest.json, bench/results/latest.svg', '');
  process.stdout.write(lines.join('\n'));
}

if (args.redraw) {
  writeFileSync(join(RESULTS, 'latest.svg'), chartFromReport(JSON.parse(readFileSync(join(RESULTS, 'latest.json'), 'utf8'))));
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

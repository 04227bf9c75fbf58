/**
 * `npm run bench`: the service against a bare node:http baseline on the same seeded database. Four parts, each
 * selectable with `--only` (see `--help` and docs/benchmarks.md):
 * - closed-loop: endpoint by endpoint with autocannon (same settings, warmed up, interleaved rounds, medians);
 * - open-loop: latency at a fixed offered rate (Poisson arrivals, latency from the scheduled arrival);
 * - special: the premium-post fan-out and the notification-batch rate;
 * - scale: home and public p50 on 100k, 1M and 5M seeded posts, each against the smallest (`--scale`);
 * - mass-message: a mass message to 100,000 followers, until every copy is readable (scratch database; bench/lib/mass-message.ts).
 * Every part records the load average before and after it. Writes bench/results/latest.{json,svg} (scale:
 * scale.{json,svg}) and a copy of each run under bench/results/runs/.
 */
import 'reflect-metadata';
import { canConnect } from '../src/common/database/embedded-postgres';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { loadConfig } from '@/common/config/load-config';
import { startEmbeddedPostgres } from '@/common/database/embedded-postgres';
import { fail, parseArgs } from '../scripts/lib/args';
import { connect, ensureDatabase, withDatabase } from '../scripts/lib/database';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../scripts/lib/demo-graph';
import { chartFromReport, SCALE_TARGET, scaleChart, ScalePoint } from './lib/chart';
import { busyWarning, formatLoad, LoadWindow, loadNow, machineFacts, withLoad } from './lib/machine';
import { load, LoadResult, LoadSpec, median } from './lib/load';
import { openLoop, OpenLoopResult } from './lib/open-loop';
import { run, start, stop, waitForHttp } from './lib/processes';
import { measureFanOut, measureNotificationBatches, waitForIdleQueues } from './lib/special';
import { massMessageTable, MassMessageResult, measureMassMessage } from './lib/mass-message';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');
const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_PREFIX = process.env.BENCH_REDIS_PREFIX ?? 'x18bench';

const PARTS = ['closed-loop', 'open-loop', 'special', 'scale', 'mass-message'] as const;
const DEFAULT_PARTS: Part[] = ['closed-loop', 'open-loop', 'special', 'mass-message'];
type Part = (typeof PARTS)[number];
const CLOSED_KEYS = ['me', 'home200', 'home5k', 'public', 'deep', 'post', 'searchcommon', 'searchrare', 'searchphrase', 'searchfrom', 'searchusers', 'suggest5k', 'conversations', 'messages', 'create', 'like', 'webhook'];
const OPEN_KEYS = ['open-home5k', 'open-webhook'];

const USAGE = `Benchmarks the service against a bare node:http + pg baseline on a seeded database.

  npm run bench -- [options]

Parts (--only takes a comma-separated list of parts and/or row keys; default: closed-loop,open-loop,special,mass-message):
  closed-loop   autocannon per endpoint, ours and the baseline interleaved (keys: ${CLOSED_KEYS.join(', ')})
  open-loop     Poisson arrivals at a fixed rate, latency from the scheduled arrival (keys: ${OPEN_KEYS.join(', ')})
  special       premium-post fan-out time and notification batch rate
  scale         home and public p50 on each --scale-posts size (seeds x18_bench_p<posts>_u<users> when empty);
                --scale is the same as --only scale
  mass-message  a paid mass message to --mass-followers followers, timed until every copy is readable (target ≤ 10 s),
                --mass-runs times (the first creates the conversations); on a scratch database of its own (created and
                dropped), so it needs no seeded bench database: --only mass-message runs it alone

Builds, seeds the target database when it has no users (scripts/seed-demo.ts), starts the built service
(node dist/src/main.js, APP_ROLE=all) and the baseline (bench/baseline-server.ts) side by side. Each part records the
1/5/15-minute load averages before and after it; a run that starts at load 0.5 or more says so.
Results: bench/results/latest.{json,svg} (parts not run keep their previous figures, each with its own date and load),
bench/results/scale.{json,svg}, and a copy of every run in bench/results/runs/.

The database: --database-url, else DATABASE_URL, else x18_bench_p<posts>_u<users> (e.g. x18_bench_p1m_u110k) on the
local PostgreSQL (postgres@127.0.0.1:5432, created if missing), else on the embedded PostgreSQL. Redis: REDIS_URL,
keys under the prefix BENCH_REDIS_PREFIX (default x18bench: give parallel benches on one Redis their own).`;

const args = parseArgs(
  process.argv.slice(2),
  [
    { name: 'posts', value: 'number', default: 200_000, help: 'posts to seed when seeding (1000000 for the full run)' },
    { name: 'users', value: 'number', help: 'users to seed (default: 11% of posts, between 20,000 and 110,000)' },
    { name: 'only', value: 'string', help: 'comma-separated parts (closed-loop, open-loop, special, scale) and/or row keys' },
    { name: 'scale', help: 'run the scale curve only (same as --only scale)' },
    { name: 'connections', value: 'number', default: 64, help: 'autocannon connections (closed loop)' },
    { name: 'duration', value: 'number', default: 5, help: 'seconds per measured round (closed loop)' },
    { name: 'warmup', value: 'number', default: 2, help: 'seconds of warm-up per endpoint and server (closed loop)' },
    { name: 'rounds', value: 'number', default: 3, help: 'measured rounds per endpoint and server (closed loop)' },
    { name: 'webhook-connections', value: 'number', default: 200, help: 'connections for the closed-loop Stripe webhook row' },
    { name: 'home-rate', value: 'number', default: 100, help: 'open loop: offered home timeline requests per second' },
    { name: 'webhook-rate', value: 'number', default: 200, help: 'open loop: offered Stripe events per second' },
    { name: 'open-duration', value: 'number', default: 20, help: 'open loop: seconds measured per row and server' },
    { name: 'open-warmup', value: 'number', default: 3, help: 'open loop: seconds at the rate before measuring' },
    { name: 'scale-posts', value: 'string', default: '100000,1000000,5000000', help: 'scale: the sizes, in posts (the first is the reference)' },
    { name: 'scale-users', value: 'number', default: 110_000, help: 'scale: users at every size (only the posts vary)' },
    { name: 'scale-rate', value: 'number', default: 20, help: 'scale: offered requests per second (low: latency, not throughput)' },
    { name: 'scale-duration', value: 'number', default: 15, help: 'scale: seconds measured per endpoint and size, split over --rounds interleaved rounds' },
    { name: 'mass-followers', value: 'number', default: 100_000, help: 'mass-message: followers of the sender (the audience)' },
    { name: 'mass-runs', value: 'number', default: 2, help: 'mass-message: mass messages sent one after the other' },
    { name: 'database-url', value: 'string', help: 'postgres:// URL of the bench database (not for --scale)' },
    { name: 'reseed', help: 'empty the database and seed it again at the requested scale' },
    { name: 'skip-build', help: 'use the existing dist/ build' },
    { name: 'skip-special', help: 'skip the fan-out and notification-batch measurements (same as leaving out "special")' },
    { name: 'redraw', help: 'only redraw the charts from latest.json and scale.json' },
    { name: 'cpu-prof', help: 'run the service under node --cpu-prof (profiles in bench/results/profiles)' },
    { name: 'port', value: 'number', default: 3100, help: 'port of the service (the baseline uses the next one)' },
  ],
  USAGE,
);
const posts = args.posts as number;
const usersFor = (p: number) => Math.min(110_000, Math.max(20_000, Math.round(p * 0.11)));
const users = (args.users as number | undefined) ?? usersFor(posts);
const settings = { connections: args.connections as number, duration: args.duration as number };
const log = (line: string) => process.stderr.write(`${line}\n`);

/** What this run measures: parts, and row keys when only some rows of a part are asked for. */
const selection = (() => {
  const wanted = args.scale ? ['scale'] : args.only ? String(args.only).split(',').map((x) => x.trim()).filter(Boolean) : DEFAULT_PARTS;
  const parts = new Set<Part>();
  const keys = new Set<string>();
  for (const w of wanted) {
    if ((PARTS as readonly string[]).includes(w)) parts.add(w as Part);
    else if (CLOSED_KEYS.includes(w) || OPEN_KEYS.includes(w)) {
      parts.add(CLOSED_KEYS.includes(w) ? 'closed-loop' : 'open-loop');
      keys.add(w);
    } else fail(`--only: unknown part or row "${w}" (parts: ${PARTS.join(', ')}; rows: ${[...CLOSED_KEYS, ...OPEN_KEYS].join(', ')})`);
  }
  if (args['skip-special']) parts.delete('special');
  const rowWanted = (part: Part, key: string) => {
    const ofPart = [...keys].filter((k) => (part === 'closed-loop' ? CLOSED_KEYS : OPEN_KEYS).includes(k));
    return parts.has(part) && (!ofPart.length || ofPart.includes(key));
  };
  return { parts, rowWanted };
})();

const reachable = (url: string) => canConnect(url, 1500);

/** 100000 → 100k, 1000000 → 1m, 110000 → 110k: for database names. */
const short = (n: number) => (n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n));
const dbName = (p: number, u: number) => `x18_bench_p${short(p)}_u${short(u)}`;

interface BenchServer {
  /** The server, with the database named `name` (created if missing). */
  url(name: string): Promise<string>;
  /** A URL of the server itself, where scratch databases may be created and dropped. */
  admin: string;
  stop(): Promise<void>;
}

async function benchServer(): Promise<BenchServer> {
  if (await reachable(LOCAL_SERVER)) {
    return {
      url: async (name) => {
        const url = withDatabase(LOCAL_SERVER, name);
        await ensureDatabase(url);
        return url;
      },
      admin: LOCAL_SERVER,
      stop: async () => undefined,
    };
  }
  const config = loadConfig();
  const embedded = await startEmbeddedPostgres(config.dataDir, config.database.embeddedPort);
  return {
    url: async (name) => {
      const url = withDatabase(embedded.url, name);
      await ensureDatabase(url);
      return url;
    },
    admin: embedded.url,
    stop: embedded.stop,
  };
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

async function ensureSeeded(url: string, want: { users: number; posts: number }, strict: boolean): Promise<{ users: number; posts: number }> {
  const scale = await scaleOf(url);
  const seed = (reset: boolean) =>
    run(process.execPath, [
      // 5M posts plan their structure in memory (about 2 GB): more than Node's default heap on a small machine.
      '--max-old-space-size=8192', '-r', './test/support/ts-register.js', 'scripts/seed-demo.ts',
      '--database-url', url, '--users', String(want.users), '--posts', String(want.posts), ...(reset ? ['--reset'] : []),
    ]);
  if (args.reseed || !scale.users) {
    log(`seeding ${want.users} users and ${want.posts} posts into ${new URL(url).pathname.slice(1)}…`);
    await seed(!!scale.users);
    return scaleOf(url);
  }
  if (strict && (Math.abs(scale.posts - want.posts) > want.posts * 0.1 || Math.abs(scale.users - want.users) > want.users * 0.1)) {
    fail(`the bench database holds ${scale.users} users and ${scale.posts} posts, not the ${want.users} / ${want.posts} asked for: add --reseed`);
  }
  log(`using the seeded database ${new URL(url).pathname.slice(1)}: ${scale.users} users, ${scale.posts} posts`);
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

/** The inbox rows' data: conversations of the bench user (demo_viewer_200) and the size of the longest. */
const INBOX_CONVERSATIONS = 200;
const INBOX_LONGEST = 1000;
const INBOX_OTHERS = 5;

/**
 * Seeds the bench user's inbox once (set-form SQL, skipped when they have conversations): INBOX_CONVERSATIONS
 * conversations with the first ordinary accounts, each with INBOX_OTHERS messages (every third from the other side
 * paid, every fifth to the bench user unread), and one of them with INBOX_LONGEST. Both sides' rows as a send leaves them
 * (last message, activity, unread count). Answers the longest conversation's id.
 */
async function seedInbox(url: string): Promise<{ conversationId: string; conversations: number; longest: number }> {
  const db = await connect(url, 'x18-bench');
  try {
    const [me] = (await db.query('select id from users where username = $1', [DEMO_ACCOUNTS.viewer200])).rows;
    const longestOf = () =>
      db.query<{ conversation_id: string; n: number; conversations: number }>(
        `select conversation_id, (select count(*)::int from messages m where m.conversation_id = cm.conversation_id) as n,
                (select count(*)::int from conversation_members where user_id = $1) as conversations
           from conversation_members cm where user_id = $1 order by 2 desc limit 1`,
        [me.id],
      );
    const existing = (await longestOf()).rows[0];
    if (existing) return { conversationId: existing.conversation_id, conversations: existing.conversations, longest: existing.n };
    log(`seeding the inbox: ${INBOX_CONVERSATIONS} conversations of ${DEMO_ACCOUNTS.viewer200}, one with ${INBOX_LONGEST} messages…`);
    await db.query('begin');
    await db.query(
      `create temporary table bench_inbox on commit drop as
         select u.id as other_id, row_number() over (order by u.id)::int as n, uuid_generate_v7() as conversation_id
           from users u where u.role = 'user' and u.username not like 'demo\\_%' and u.id <> $1 and u.suspended_at is null
          order by u.id limit $2`,
      [me.id, INBOX_CONVERSATIONS],
    );
    await db.query(
      `insert into conversations (id, user_low_id, user_high_id, created_at)
       select conversation_id, least($1::uuid, other_id), greatest($1::uuid, other_id), now() - interval '60 days' from bench_inbox`,
      [me.id],
    );
    // Message i of a conversation: sent by the other side when i is odd; its time spreads the conversations over days.
    await db.query(
      `insert into messages (id, conversation_id, sender_id, recipient_id, content, content_html, price_cents, preview, created_at)
       select uuid_generate_v7(), b.conversation_id, s.sender, s.recipient, t.text, '<p>' || t.text || '</p>',
              case when i % 6 = 3 then 500 end, case when i % 6 = 3 then 'something for you' end,
              now() - make_interval(hours => b.n) - make_interval(secs => (k - i) * 30)
         from bench_inbox b
        cross join lateral (select case when b.n = 1 then $2::int else $3::int end as k) k
        cross join lateral generate_series(1, k.k) i
        cross join lateral (select case when i % 2 = 1 then b.other_id else $1::uuid end as sender,
                                   case when i % 2 = 1 then $1::uuid else b.other_id end as recipient) s
        cross join lateral (select 'Message ' || i || ' of a conversation, with a few words to render and a link https://example.com/' || i as text) t`,
      [me.id, INBOX_LONGEST, INBOX_OTHERS],
    );
    await db.query(
      `insert into conversation_members (conversation_id, user_id, other_user_id, status, unread_count, last_message_id, last_activity_at, created_at)
       select b.conversation_id, side.user_id, side.other_id, 'active',
              case when side.user_id = $1 and b.n % 5 = 0 then (select count(*) from messages m where m.conversation_id = b.conversation_id and m.recipient_id = $1)
                   else 0 end,
              last.id, last.created_at, now() - interval '60 days'
         from bench_inbox b
        cross join lateral (values ($1::uuid, b.other_id), (b.other_id, $1::uuid)) side(user_id, other_id)
        cross join lateral (select m.id, m.created_at from messages m where m.conversation_id = b.conversation_id order by m.created_at desc, m.id desc limit 1) last`,
      [me.id],
    );
    await db.query('commit');
    await db.query('vacuum (analyze) conversations, conversation_members, messages');
    const seeded = (await longestOf()).rows[0];
    return { conversationId: seeded.conversation_id, conversations: seeded.conversations, longest: seeded.n };
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

/** The environment both servers run with. */
function serverEnv(databaseUrl: string, role: 'all' | 'api'): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: REDIS_PREFIX,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    JWT_ACCESS_TTL: '2h',
    LOG_LEVEL: 'warn',
    APP_ROLE: role,
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
}

const children: ChildProcess[] = [];
// Whatever ends the bench, the servers it started end with it (by their own pids).
process.once('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function startOurs(env: NodeJS.ProcessEnv, port: number): ChildProcess {
  const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS, 'profiles')}`] : [];
  const child = start('ours', process.execPath, [...profile, 'dist/src/main.js'], { ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
  children.push(child);
  return child;
}

function startBaseline(env: NodeJS.ProcessEnv, port: number, publicUrl: string): ChildProcess {
  const child = start('baseline', process.execPath, ['-r', './test/support/ts-register.js', 'bench/baseline-server.ts'], { ...env, PORT: String(port), PUBLIC_URL: publicUrl });
  children.push(child);
  return child;
}

async function login(base: string, username: string): Promise<Account> {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: username, password: DEMO_PASSWORD }) });
  if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}`);
  const body = (await res.json()) as { user: { id: string }; access_token: string };
  return { id: body.user.id, username, token: body.access_token };
}

const auth = (a: Account) => ({ authorization: `Bearer ${a.token}` });
const json = { 'content-type': 'application/json' };

type Side = { rps: number; p50: number; p99: number; non2xx: number; errors: number; rounds: number[] } | null;
interface ClosedRow {
  key: string;
  endpoint: string;
  connections: number;
  ours: Side;
  baseline: Side;
  ratio: number | null;
  load: LoadWindow;
}
interface OpenRow {
  key: string;
  endpoint: string;
  target: string;
  ours: OpenLoopResult;
  baseline: OpenLoopResult | null;
  /** Webhook row: events the worker had applied by the end of the window, and when all were. */
  applied?: { duringWindow: number; allAppliedAfterMs: number | null };
  load: LoadWindow;
}
interface Report {
  date: string;
  machine: ReturnType<typeof machineFacts>;
  scale: { users: number; posts: number };
  settings: Record<string, unknown>;
  /** This run's load averages (1, 5, 15 min) before it started and after it ended. */
  load: LoadWindow;
  warning?: string;
  /** The closed-loop rows (the chart's), each with the load of its own measurement. */
  endpoints: ClosedRow[];
  openLoop: OpenRow[];
  special: Record<string, unknown>;
  /** The mass-message part: measured on a scratch database, so kept whatever the bench database's size. */
  massMessage?: MassMessageResult & { date: string; load: LoadWindow };
  parts: Partial<Record<Part, { date: string; load: LoadWindow }>>;
  notes: string[];
  seconds: number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadNow();
  const warning = busyWarning(loadAtStart);
  if (warning) log(warning);
  const server = await benchServer();
  try {
    if (!args['skip-build']) {
      log('building…');
      await run('npm', ['run', 'build', '--silent']);
    }
    if (selection.parts.has('closed-loop') || selection.parts.has('open-loop') || selection.parts.has('special')) {
      await mainParts(server, started, loadAtStart, warning);
    }
    if (selection.parts.has('scale')) await scaleCurve(server, warning);
    if (selection.parts.has('mass-message')) await massMessagePart(server);
  } finally {
    await Promise.allSettled(children.map((c) => stop(c)));
    await server.stop();
  }
}

async function mainParts(server: BenchServer, started: number, loadAtStart: [number, number, number], warning: string | undefined): Promise<void> {
  const given = (args['database-url'] as string | undefined) ?? process.env.DATABASE_URL;
  const url = given ?? (await server.url(dbName(posts, users)));
  const explicit = process.argv.some((a) => a.startsWith('--posts') || a.startsWith('--users'));
  const scale = await ensureSeeded(url, { users, posts }, explicit);
  const removed = await cleanUp(url);
  if (removed) log(`removed ${removed} posts left by earlier bench runs`);
  const inbox = await seedInbox(url);
  const port = args.port as number;
  const env = serverEnv(url, 'all');
  const oursUrl = `http://127.0.0.1:${port}`;
  const baseUrl = `http://127.0.0.1:${port + 1}`;
  const ours = startOurs(env, port);
  const baseline = startBaseline(env, port + 1, oursUrl);
  await Promise.all([waitForHttp(`${oursUrl}/health/ready`, ours), waitForHttp(`${baseUrl}/health/live`, baseline)]);
  log('both servers are up');
  // Events left by an interrupted run or other writers (outbox rows, queued jobs) would be applied by our worker
  // while we measure, on the same CPUs: wait until there are none.
  const waiter = await connect(url, 'x18-bench');
  const idleMs = await waitForIdleQueues(waiter, loadConfig({ ...env }).redis.url, REDIS_PREFIX, 600_000).finally(() => waiter.end());
  if (idleMs > 1000) log(`waited ${(idleMs / 1000).toFixed(1)} s for earlier events to be applied`);

  const api = async (method: string, path: string, token: string, body?: unknown, base = oursUrl) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };

  const db = await connect(url, 'x18-bench');
  const [viewer200, viewer5k, writer, creator] = await Promise.all([DEMO_ACCOUNTS.viewer200, DEMO_ACCOUNTS.viewer5k, DEMO_ACCOUNTS.writer, DEMO_ACCOUNTS.creator].map((n) => login(oursUrl, n)));
  const likerNames = (await db.query(`select username from users where role = 'user' and username not like 'demo\\_%' order by id limit 50`)).rows.map((r) => r.username as string);
  const likers: Account[] = [];
  for (const name of likerNames) likers.push(await login(oursUrl, name));
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
  const following5k = (await scaleFollowing(db, viewer5k.id)).toLocaleString('en-US');
  const secret = env.STRIPE_WEBHOOK_SECRET!;

  let serial = 0;
  const webhookSpec: LoadSpec = { method: 'POST', path: '/api/v1/webhooks/stripe', headers: json, vary: () => signedStripeEvent(secret, ++serial) };
  const homeSpec: LoadSpec = { path: '/api/v1/timelines/home', headers: auth(viewer5k) };
  const endpoints: { key: string; label: string; spec: LoadSpec; connections?: number; oursOnly?: boolean }[] = [
    { key: 'me', label: 'GET /me (trivial, authenticated)', spec: { path: '/api/v1/me', headers: auth(viewer200) } },
    { key: 'home200', label: 'home timeline, follows 200', spec: { path: '/api/v1/timelines/home', headers: auth(viewer200) } },
    { key: 'home5k', label: `home timeline, follows ${following5k}`, spec: homeSpec },
    { key: 'public', label: 'public timeline, page 1', spec: { path: '/api/v1/timelines/public', headers: auth(viewer200) } },
    { key: 'deep', label: `public timeline at depth ${depth.toLocaleString('en-US')}`, spec: { path: `/api/v1/timelines/public?cursor=${deepCursor}`, headers: auth(viewer200) } },
    { key: 'post', label: 'GET /posts/:id', spec: { path: `/api/v1/posts/${single.id}`, headers: auth(viewer200) } },
    // Search (docs/search.md): the seed writes `coffee` in about 8% of posts, `serendipity` in about one in 10,000.
    ...SEARCHES.map(([key, label, q]) => ({ key, label, spec: { path: `/api/v1/search?type=posts&q=${encodeURIComponent(q)}`, headers: auth(viewer200) } })),
    { key: 'searchusers', label: 'search users: prefix `ana`', spec: { path: '/api/v1/search?type=users&q=ana', headers: auth(viewer200) } },
    { key: 'suggest5k', label: `who to follow, follows ${following5k}`, spec: { path: '/api/v1/users/suggestions', headers: auth(viewer5k) } },
    // The inbox (docs/inbox.md), seeded by seedInbox: the bench user's list and their longest conversation.
    { key: 'conversations', label: `conversations, page 1 (of ${inbox.conversations})`, spec: { path: '/api/v1/conversations', headers: auth(viewer200) } },
    { key: 'messages', label: `messages, page 1 (of ${inbox.longest.toLocaleString('en-US')})`, spec: { path: `/api/v1/conversations/${inbox.conversationId}/messages`, headers: auth(viewer200) } },
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
    endpoints.push({ key: 'webhook', label: `Stripe webhook ack (${args['webhook-connections']} connections)`, connections: args['webhook-connections'] as number, oursOnly: true, spec: webhookSpec });
  }
  const selected = endpoints.filter((e) => selection.rowWanted('closed-loop', e.key));

  // Same answers from both: the ids of each read endpoint's page, and a 2xx for the writes (ours only: a 2xx).
  for (const e of selected) {
    if (e.oursOnly) {
      const v = e.spec.vary?.() ?? {};
      const res = await fetch(`${oursUrl}${v.path ?? e.spec.path}`, { method: e.spec.method ?? 'GET', headers: { ...e.spec.headers, ...v.headers }, body: v.body ?? e.spec.body });
      if (res.status >= 300) throw new Error(`${e.key}: ours answered ${res.status} ${await res.text()}`);
      continue;
    }
    const path = e.spec.vary ? e.spec.vary().path! : e.spec.path;
    const headers = e.spec.vary ? e.spec.vary().headers : e.spec.headers;
    const token = (headers?.authorization ?? '').slice(7);
    const body = e.spec.body ? JSON.parse(e.spec.body) : undefined;
    const [a, b] = [await api(e.spec.method ?? 'GET', path, token, body), await api(e.spec.method ?? 'GET', path, token, body, baseUrl)];
    if (a.status >= 300 || b.status >= 300) throw new Error(`${e.key}: ours ${a.status}, baseline ${b.status}`);
    const ids = (x: { body: { data?: { id: string }[]; id?: string } }) => JSON.stringify(x.body.data ? x.body.data.map((p) => p.id) : [x.body.id]);
    if (!e.spec.method && ids(a) !== ids(b)) log(`warning: ${e.key}: ours and the baseline answer different items`);
  }

  const table: ClosedRow[] = [];
  const partLoads: Report['parts'] = {};
  const partStart = loadNow();
  const idleWaiter = await connect(url, 'x18-bench');
  for (const e of selected) {
    // The write rows leave events (notifications) that our worker applies in the same process and on the same
    // database pool: measured on top of that backlog, the next row (the webhook's) answered nothing in 5 s.
    await waitForIdleQueues(idleWaiter, loadConfig({ ...env }).redis.url, REDIS_PREFIX, 600_000);
    const conn = { ...settings, connections: e.connections ?? settings.connections };
    const servers = ([['ours', oursUrl], ['baseline', baseUrl]] as const).filter(([name]) => !e.oursOnly || name === 'ours');
    for (const [name, base] of servers) {
      await load(base, e.spec, { ...conn, duration: args.warmup as number });
      log(`${e.key.padEnd(8)} ${name.padEnd(8)} warmed up`);
    }
    const { result: results, load: rowLoad } = await withLoad(async () => {
      const out: Record<'ours' | 'baseline', LoadResult[]> = { ours: [], baseline: [] };
      for (let r = 1; r <= (args.rounds as number); r++) {
        for (const [name, base] of servers) {
          const res = await load(base, e.spec, conn);
          out[name].push(res);
          log(`${e.key.padEnd(8)} ${name.padEnd(8)} round ${r}/${args.rounds}: ${res.rps.toFixed(0)} rps, p50 ${res.p50} ms, p99 ${res.p99} ms${res.non2xx || res.errors ? `, ${res.non2xx} non-2xx, ${res.errors} errors` : ''}`);
        }
      }
      return out;
    });
    const summary = (list: LoadResult[]): Side =>
      list.length
        ? {
            rps: Math.round(median(list.map((x) => x.rps))),
            p50: median(list.map((x) => x.p50)),
            p99: median(list.map((x) => x.p99)),
            non2xx: list.reduce((s, x) => s + x.non2xx, 0),
            errors: list.reduce((s, x) => s + x.errors, 0),
            rounds: list.map((x) => Math.round(x.rps)),
          }
        : null;
    const o = summary(results.ours);
    const b = summary(results.baseline);
    table.push({ key: e.key, endpoint: e.label, connections: conn.connections, ours: o, baseline: b, ratio: o && b ? Number((o.rps / b.rps).toFixed(2)) : null, load: rowLoad });
  }
  await idleWaiter.end();
  if (selected.length) partLoads['closed-loop'] = { date: new Date().toISOString(), load: { before: partStart, after: loadNow() } };

  // Open loop: a fixed offered rate, Poisson arrivals, latency from each request's scheduled arrival.
  const openRows: OpenRow[] = [];
  const open = { duration: args['open-duration'] as number, warmup: args['open-warmup'] as number };
  const openStart = loadNow();
  if (selection.rowWanted('open-loop', 'open-home5k')) {
    const rate = args['home-rate'] as number;
    const { result, load: rowLoad } = await withLoad(async () => {
      const o = await openLoop(oursUrl, homeSpec, { ...open, rate });
      log(`open-home5k ours     ${rate}/s: p50 ${o.p50} ms, p99 ${o.p99} ms, ${o.completed}/${o.scheduled} answered, send lag p99 ${o.sendLagP99} ms`);
      const b = await openLoop(baseUrl, homeSpec, { ...open, rate });
      log(`open-home5k baseline ${rate}/s: p50 ${b.p50} ms, p99 ${b.p99} ms, ${b.completed}/${b.scheduled} answered`);
      return { o, b };
    });
    openRows.push({ key: 'open-home5k', endpoint: `home timeline, follows ${following5k}, at ${rate} req/s`, target: 'p99 ≤ 25 ms', ours: result.o, baseline: result.b, load: rowLoad });
  }
  if (hasWebhook && selection.rowWanted('open-loop', 'open-webhook')) {
    const rate = args['webhook-rate'] as number;
    await waitForIdleQueues(db, loadConfig({ ...env }).redis.url, REDIS_PREFIX).catch(() => undefined);
    const t0 = new Date();
    const { result, load: rowLoad } = await withLoad(async () => {
      const o = await openLoop(oursUrl, webhookSpec, { ...open, rate });
      log(`open-webhook ours    ${rate}/s: p50 ${o.p50} ms, p99 ${o.p99} ms, ${o.completed}/${o.scheduled} answered, send lag p99 ${o.sendLagP99} ms`);
      return o;
    });
    const applied = await appliedEvents(db, t0);
    openRows.push({ key: 'open-webhook', endpoint: `Stripe webhook ack at ${rate} events/s (worker applying them)`, target: 'p99 ≤ 50 ms', ours: result, baseline: null, applied, load: rowLoad });
  }
  if (openRows.length) partLoads['open-loop'] = { date: new Date().toISOString(), load: { before: openStart, after: loadNow() } };

  const notes: string[] = [];
  if (!hasWebhook) notes.push('POST /api/v1/webhooks/stripe does not exist in this build: the webhook rows are skipped.');
  else notes.push('The Stripe webhook rows have no baseline: their targets are absolute.');

  let special: Record<string, unknown> = {};
  if (selection.parts.has('special')) {
    const specialStart = loadNow();
    const config = loadConfig({ ...env, DATABASE_URL: url });
    const sample = (
      await db.query(`select u.username from follows f join users u on u.id = f.follower_id where f.following_id = $1 and u.username not like 'demo\\_%' order by f.id limit 20`, [creator.id])
    ).rows.map((r) => r.username as string);
    const tokens: string[] = [];
    for (const name of sample) tokens.push((await login(oursUrl, name)).token);
    log('waiting for the write benchmarks\' notifications to drain…');
    const drainedMs = await waitForIdleQueues(db, config.redis.url, REDIS_PREFIX);
    log(`queues idle after ${(drainedMs / 1000).toFixed(1)} s`);
    log('fan-out: a premium post by the big creator…');
    const fanOut = await measureFanOut(api, db, creator, tokens, config.billing.pastDueGraceDays);
    log(`fan-out: ${JSON.stringify(fanOut)}`);
    log('notification batches: ours vs raw INSERT…');
    const batches = await measureNotificationBatches(config, url, db, creator.id);
    log(`notification batches: ${JSON.stringify(batches)}`);
    const specialLoad = { before: specialStart, after: loadNow() };
    special = { drainBeforeFanOutMs: Math.round(drainedMs), fanOut, notificationBatches: batches, load: specialLoad };
    partLoads.special = { date: new Date().toISOString(), load: specialLoad };
  }
  const { rows: [pg] } = await db.query(`select current_setting('server_version') as version`);
  await db.end();

  const report: Report = {
    date: new Date().toISOString(),
    machine: machineFacts(pg.version),
    scale,
    settings: { ...settings, warmup: args.warmup, rounds: args.rounds, databasePoolMax: 10, openLoop: { ...open, homeRate: args['home-rate'], webhookRate: args['webhook-rate'] } },
    load: { before: loadAtStart, after: loadNow() },
    ...(warning ? { warning } : {}),
    endpoints: table,
    openLoop: openRows,
    special,
    parts: partLoads,
    notes,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  mkdirSync(join(RESULTS, 'runs'), { recursive: true });
  writeFileSync(join(RESULTS, 'runs', `${report.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2) + '\n');
  const merged = mergeIntoLatest(report);
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(merged, null, 2) + '\n');
  writeFileSync(join(RESULTS, 'latest.svg'), chartFromReport(merged as unknown as Parameters<typeof chartFromReport>[0]));
  printReport(report);
}

/**
 * latest.json keeps the newest figure of every row: a run of some parts (or rows) replaces those and keeps the
 * others, each row with the date and load of its own measurement. A run on another data size starts afresh.
 */
function mergeIntoLatest(report: Report): Report {
  const file = join(RESULTS, 'latest.json');
  if (!existsSync(file)) return report;
  const previous = JSON.parse(readFileSync(file, 'utf8')) as Partial<Report>;
  // The mass message does not use the bench database: its figure stays whatever the data size.
  const mass = previous.massMessage ? { massMessage: previous.massMessage } : {};
  const massPart = previous.parts?.['mass-message'] ? { 'mass-message': previous.parts['mass-message'] } : {};
  if (!previous.scale || Math.abs(previous.scale.posts - report.scale.posts) > report.scale.posts * 0.1 || !Array.isArray(previous.openLoop)) {
    return { ...report, ...mass, parts: { ...massPart, ...report.parts } };
  }
  const byKey = <T extends { key: string }>(old: T[] | undefined, fresh: T[], order: string[]) => {
    const map = new Map((old ?? []).map((r) => [r.key, r]));
    for (const r of fresh) map.set(r.key, r);
    return [...map.values()].sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  };
  return {
    ...report,
    ...mass,
    endpoints: byKey(previous.endpoints, report.endpoints, CLOSED_KEYS),
    openLoop: byKey(previous.openLoop, report.openLoop, OPEN_KEYS),
    special: Object.keys(report.special).length ? report.special : (previous.special ?? {}),
    parts: { ...previous.parts, ...report.parts },
  };
}

/**
 * The mass-message part: bench/lib/mass-message.ts on a scratch database, with the built service (the same
 * environment as the other parts). Writes runs/<date>-mass-message.json and the `massMessage` entry of latest.json
 * (the rest of latest.json as it was).
 */
async function massMessagePart(server: BenchServer): Promise<void> {
  log(`mass-message: a mass message to ${(args['mass-followers'] as number).toLocaleString('en-US')} followers on a scratch database…`);
  const port = (args.port as number) + 9;
  const { result, load: partLoad } = await withLoad(() =>
    measureMassMessage({
      server: server.admin,
      followers: args['mass-followers'] as number,
      runs: Math.max(1, args['mass-runs'] as number),
      batch: 5000,
      port,
      env: serverEnv(server.admin, 'all'),
      startService: (env) => startOurs(env, port),
      log,
    }),
  );
  const date = new Date().toISOString();
  const entry = { date, load: partLoad, ...result };
  mkdirSync(join(RESULTS, 'runs'), { recursive: true });
  writeFileSync(join(RESULTS, 'runs', `${date.replace(/[:.]/g, '-')}-mass-message.json`), JSON.stringify({ date, machine: machineFacts(result.postgres), massMessage: entry }, null, 2) + '\n');
  const file = join(RESULTS, 'latest.json');
  const latest = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Partial<Report>;
  latest.massMessage = entry;
  latest.parts = { ...latest.parts, 'mass-message': { date, load: partLoad } };
  writeFileSync(file, JSON.stringify(latest, null, 2) + '\n');
  process.stdout.write(['', ...massMessageTable(result), 'Written: bench/results/latest.json (its massMessage entry), runs/<date>-mass-message.json', ''].join('\n'));
}

/** Stripe events received since `since`: how many the worker had applied when the window ended, and when all were. */
async function appliedEvents(db: Client, since: Date): Promise<{ duringWindow: number; allAppliedAfterMs: number | null }> {
  const count = async () =>
    (await db.query(`select count(*) filter (where processed_at is not null)::int as done, count(*)::int as total from stripe_events where received_at >= $1`, [since])).rows[0] as { done: number; total: number };
  const first = await count();
  const t0 = performance.now();
  let now = first;
  while (now.done < now.total && performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 250));
    now = await count();
  }
  return { duringWindow: first.done, allAppliedAfterMs: now.done >= now.total ? Math.round(performance.now() - t0) : null };
}

/**
 * The scale curve: each size in its own seeded database with a service of its own, all started together; then the
 * rows in interleaved rounds (row × size, round after round) at a low open-loop rate, so that a busy moment of the
 * machine falls on every size alike. Per row and size: the median over the rounds of p50 and p99.
 */
async function scaleCurve(server: BenchServer, warning: string | undefined): Promise<void> {
  const sizes = String(args['scale-posts']).split(',').map((x) => Number(x.trim())).filter((x) => x > 0);
  const scaleUsers = args['scale-users'] as number;
  const rate = args['scale-rate'] as number;
  const duration = args['scale-duration'] as number;
  const rounds = Math.max(1, args.rounds as number);
  const perRound = Math.max(3, Math.round(duration / rounds));
  const targets: { size: number; scale: { users: number; posts: number }; base: string; rows: { key: string; endpoint: string; spec: LoadSpec }[] }[] = [];
  let pgVersion = '';
  for (const [i, size] of sizes.entries()) {
    const url = await server.url(dbName(size, scaleUsers));
    const scale = await ensureSeeded(url, { users: scaleUsers, posts: size }, true);
    await cleanUp(url);
    // API only: nothing here writes, so no worker or relay runs beside the reads.
    const port = (args.port as number) + 2 + i;
    const base = `http://127.0.0.1:${port}`;
    const ours = startOurs(serverEnv(url, 'api'), port);
    await waitForHttp(`${base}/health/ready`, ours);
    const [viewer5k, viewer200] = await Promise.all([login(base, DEMO_ACCOUNTS.viewer5k), login(base, DEMO_ACCOUNTS.viewer200)]);
    const db = await connect(url, 'x18-bench');
    const following = (await scaleFollowing(db, viewer5k.id)).toLocaleString('en-US');
    pgVersion = (await db.query(`select current_setting('server_version') as v`)).rows[0].v;
    await db.end();
    targets.push({
      size,
      scale,
      base,
      rows: [
        { key: 'home5k', endpoint: `home timeline, follows ${following}`, spec: { path: '/api/v1/timelines/home', headers: auth(viewer5k) } },
        { key: 'home200', endpoint: 'home timeline, follows 200', spec: { path: '/api/v1/timelines/home', headers: auth(viewer200) } },
        { key: 'public', endpoint: 'public timeline, page 1', spec: { path: '/api/v1/timelines/public', headers: auth(viewer200) } },
      ],
    });
  }
  // Warm-up: every row on every size once (JIT, pools, caches), not measured.
  for (const t of targets) for (const r of t.rows) await openLoop(t.base, r.spec, { rate, duration: 2, warmup: 1 });
  const samples = new Map<string, OpenLoopResult[]>();
  const loads = new Map<number, LoadWindow[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const key of targets[0].rows.map((r) => r.key)) {
      for (const t of targets) {
        const r = t.rows.find((x) => x.key === key)!;
        const { result: res, load: l } = await withLoad(() => openLoop(t.base, r.spec, { rate, duration: perRound, warmup: 1 }));
        log(`scale round ${round}/${rounds} ${short(t.size).padEnd(5)} ${key.padEnd(8)} ${rate}/s: p50 ${res.p50} ms, p99 ${res.p99} ms (${res.completed}/${res.scheduled}, ${res.non2xx} non-2xx), load ${formatLoad(l)}`);
        if (res.non2xx || res.errors) throw new Error(`scale ${t.size} ${key}: ${res.non2xx} non-2xx answers, ${res.errors} errors`);
        samples.set(`${t.size}:${key}`, [...(samples.get(`${t.size}:${key}`) ?? []), res]);
        loads.set(t.size, [...(loads.get(t.size) ?? []), l]);
      }
    }
  }
  const measured = targets.map((t) => {
    const l = loads.get(t.size)!;
    return { posts: t.scale.posts, users: t.scale.users, load: { before: l[0].before, after: l[l.length - 1].after } };
  });
  const raw: Omit<ScalePoint, 'vsSmallest'>[] = targets[0].rows.flatMap((row) =>
    targets.map((t) => {
      const list = samples.get(`${t.size}:${row.key}`)!;
      return { key: row.key, endpoint: t.rows.find((x) => x.key === row.key)!.endpoint, posts: t.scale.posts, p50: median(list.map((x) => x.p50)), p99: median(list.map((x) => x.p99)) };
    }),
  );
  const points: ScalePoint[] = raw.map((p) => {
    const reference = raw.find((x) => x.key === p.key)!;
    return { ...p, vsSmallest: Number((p.p50 / reference.p50).toFixed(2)) };
  });
  const report = {
    date: new Date().toISOString(),
    machine: machineFacts(pgVersion),
    settings: { rate, duration: perRound * rounds, rounds, secondsPerRound: perRound, role: 'api' },
    ...(warning ? { warning } : {}),
    target: `each size's p50 within ${SCALE_TARGET}× of the ${short(sizes[0])} figure`,
    sizes: measured,
    points,
  };
  mkdirSync(join(RESULTS, 'runs'), { recursive: true });
  writeFileSync(join(RESULTS, 'runs', `${report.date.replace(/[:.]/g, '-')}-scale.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(RESULTS, 'scale.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(RESULTS, 'scale.svg'), scaleChart(report));
  const lines = [
    '',
    ...(warning ? [warning, ''] : []),
    `Scale curve: open loop at ${rate} req/s, ${rounds} interleaved rounds of ${perRound} s per row and size (medians); load (1 min) over each size's rounds: ${measured.map((m) => `${short(m.posts)} ${formatLoad(m.load)}`).join(', ')}`,
    '',
    '| endpoint | posts | p50 ms | p99 ms | p50 vs smallest | within 1.3× |',
    '|---|---:|---:|---:|---:|---|',
    ...points.map((p) => `| ${p.endpoint} | ${p.posts.toLocaleString('en-US')} | ${p.p50} | ${p.p99} | ${p.vsSmallest.toFixed(2)} | ${p.vsSmallest <= SCALE_TARGET ? 'yes' : 'no'} |`),
    '',
    'Written: bench/results/scale.json, bench/results/scale.svg',
    '',
  ];
  process.stdout.write(lines.join('\n'));
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

function printReport(report: Report): void {
  const cell = (x: Side, f: (s: NonNullable<Side>) => string) => (x ? f(x) : 'n/a');
  const lines = [
    '',
    ...(report.warning ? [report.warning, ''] : []),
    `Load average (1 / 5 / 15 min): ${report.load.before.join(' / ')} before the run, ${report.load.after.join(' / ')} after it.`,
    '',
  ];
  if (report.endpoints.length) {
    lines.push(
      '| endpoint | ours rps | baseline rps | ratio | ours p50 / p99 ms | baseline p50 / p99 ms | load before → after |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...report.endpoints.map(
        (r) =>
          `| ${r.endpoint} | ${cell(r.ours, (x) => String(x.rps))} | ${cell(r.baseline, (x) => String(x.rps))} | ${r.ratio?.toFixed(2) ?? 'n/a'} | ` +
          `${cell(r.ours, (x) => `${x.p50} / ${x.p99}`)} | ${cell(r.baseline, (x) => `${x.p50} / ${x.p99}`)} | ${formatLoad(r.load)} |`,
      ),
      '',
    );
  }
  if (report.openLoop.length) {
    const ms = (o: OpenLoopResult | null) => (o ? `${o.p50} / ${o.p99}` : 'n/a');
    lines.push(
      '| open loop | target | ours p50 / p99 ms | answered / offered | baseline p50 / p99 ms | load before → after |',
      '|---|---|---:|---:|---:|---:|',
      ...report.openLoop.map(
        (r) => `| ${r.endpoint} | ${r.target} | ${ms(r.ours)} | ${r.ours.completed} / ${r.ours.scheduled} | ${ms(r.baseline)} | ${formatLoad(r.load)} |`,
      ),
      '',
    );
    const wh = report.openLoop.find((r) => r.applied);
    if (wh?.applied) {
      lines.push(`Webhook row: ${wh.applied.duringWindow} of ${wh.ours.completed} events applied by the worker when the window ended; all applied ${wh.applied.allAppliedAfterMs === null ? 'not within 2 minutes' : `${wh.applied.allAppliedAfterMs} ms after it`}.`, '');
    }
  }
  const fan = report.special.fanOut as { followers: number; subscribers: number; timelinesMs: number; notificationsMs: number; totalMs: number } | undefined;
  if (fan) {
    lines.push(
      `Premium post by a creator with ${fan.followers} followers: in every sampled follower's home timeline after ${fan.timelinesMs.toFixed(0)} ms, ` +
        `all ${fan.subscribers} subscribed_post notifications after ${fan.notificationsMs.toFixed(0)} ms (total ${fan.totalMs.toFixed(0)} ms).`,
    );
  }
  const nb = report.special.notificationBatches as { rows: number; oursRowsPerSecond: number; rawRowsPerSecond: number; ratio: number } | undefined;
  if (nb) {
    lines.push(`Notification batches (${nb.rows} rows): fan-out path ${nb.oursRowsPerSecond.toFixed(0)} rows/s, raw INSERT ${nb.rawRowsPerSecond.toFixed(0)} rows/s, ratio ${nb.ratio.toFixed(2)}.`);
  }
  lines.push(...report.notes, '', 'Written: bench/results/latest.json (merged with earlier parts), latest.svg, runs/<date>.json', '');
  process.stdout.write(lines.join('\n'));
}

if (args.redraw) {
  writeFileSync(join(RESULTS, 'latest.svg'), chartFromReport(JSON.parse(readFileSync(join(RESULTS, 'latest.json'), 'utf8'))));
  if (existsSync(join(RESULTS, 'scale.json'))) writeFileSync(join(RESULTS, 'scale.svg'), scaleChart(JSON.parse(readFileSync(join(RESULTS, 'scale.json'), 'utf8'))));
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * A bounded mixed load test against a real service process (APP_ROLE=all) on a database and Redis prefix of its own.
 *
 *   npm run load                              60 s (CI-sized), 32 connections, 40 users
 *   npm run load -- --duration 180            the documented full run
 *   npm run load -- --connections 64 --users 80 --json load.json
 *
 * Reads (public and home timelines, profiles, posts), writes (posts, likes, follows) and signed Stripe webhooks
 * (when the service has `POST /api/v1/webhooks/stripe`), each connection one request after another, as fast as the
 * service answers. Rate limits are raised for the run. Reports requests, rate, statuses, p50/p99, the service's
 * RSS over time, PostgreSQL connections and Redis clients before and after. Exits non-zero on any 5xx (or request
 * without an answer) and on a connection leak.
 *
 * Environment: TEST_DATABASE_URL (a server where it may create and drop a database; default
 * postgres://postgres@127.0.0.1:5432/postgres). Redis: a private `redis-server` (append-only file, fsync every
 * second, as in docker-compose.yml) when one is on the PATH, so that its client count is the service's alone;
 * else REDIS_URL (default redis://127.0.0.1:6379), whose client count then includes everyone else's.
 */
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import Redis from 'ioredis';
import { Client } from 'pg';
import { HttpClient } from '../support/http-client';
import { RedisServer, redisServerAvailable } from '../support/redis-server';
import { exitWithin, ServiceProcess, startServiceProcess } from '../support/service-process';
import { drive, MixedWorkload, registerUsers, summarize } from './workload';
import { postgresConnections, redisClients, rssMiB, Sampler } from './probes';

interface Args {
  duration: number;
  connections: number;
  users: number;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { duration: 60, connections: 32, users: 40 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    const value = inline ?? argv[++i];
    switch (flag) {
      case '--duration':
        args.duration = Number(value);
        break;
      case '--connections':
        args.connections = Number(value);
        break;
      case '--users':
        args.users = Number(value);
        break;
      case '--json':
        args.json = value;
        break;
      default:
        throw new Error(`unknown option ${flag} (known: --duration <s>, --connections <n>, --users <n>, --json <file>)`);
    }
  }
  if (!(args.duration > 0 && args.connections > 0 && args.users >= 2)) throw new Error('--duration and --connections must be positive, --users at least 2');
  return args;
}

const LIMIT = '100000000/1h';
const POOL_MAX = 10;
const WEBHOOK_SECRET = `whsec_load_${randomBytes(12).toString('hex')}`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const privateRedis = redisServerAvailable() ? await RedisServer.start({ persistent: true, fsync: 'everysec' }) : undefined;
  const redisUrl = privateRedis?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!privateRedis) console.log(`load: no redis-server on the PATH: using ${redisUrl}, shared (its client count includes other users)`);
  const database = `x18_load_${runId}`;
  const prefix = `x18load:${runId}`;
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString();

  const admin = new Client({ connectionString: adminUrl, application_name: 'x18-load-probe' });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const probe = new Client({ connectionString: adminUrl, application_name: 'x18-load-probe' });
  await probe.connect();
  const redis = new Redis(redisUrl, { connectionName: 'x18-load-probe', maxRetriesPerRequest: 1 });
  let service: ServiceProcess | undefined;
  let failed = false;
  try {
    console.log(`load: starting the service (APP_ROLE=all) on database ${database}, Redis prefix ${prefix}`);
    service = await startServiceProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      DATA_DIR: `/tmp/x18-load-${runId}`,
      DATABASE_POOL_MAX: String(POOL_MAX),
      JWT_SECRET: randomBytes(32).toString('hex'),
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      RATE_LIMIT_LOGIN_ACCOUNT: LIMIT,
      RATE_LIMIT_LOGIN_IP: LIMIT,
      RATE_LIMIT_REGISTER_IP: LIMIT,
      RATE_LIMIT_REFRESH_SESSION: LIMIT,
      RATE_LIMIT_MEDIA_UPLOAD: LIMIT,
      RATE_LIMIT_POST_CREATE: LIMIT,
    });
    const pid = service.child.pid!;
    const client = new HttpClient(service.port, '127.0.0.1', args.connections);
    const docs = (await client.send({ method: 'GET', path: '/docs-json' })).body as { paths?: Record<string, Record<string, unknown>> };
    const webhooks = !!docs?.paths?.['/api/v1/webhooks/stripe']?.post;
    if (!webhooks) console.log('load: no POST /api/v1/webhooks/stripe in /docs-json: webhooks left out of the mix');

    const actors = await registerUsers(client, args.users);
    const workload = new MixedWorkload(client, actors, { webhookSecret: webhooks ? WEBHOOK_SECRET : undefined, timeoutMs: 30_000 });
    await workload.seed();
    // Warm-up: the pool and the caches fill, so "before" counts the service at work, not at rest.
    let warm = 0;
    await drive(workload, { concurrency: args.connections, while: () => warm++ < args.connections * 10 });
    workload.outcomes.length = 0;

    const before = { postgres: await postgresConnections(probe, database), redis: await redisClients(redis), rss: rssMiB(pid) };
    const rss = new Sampler(() => rssMiB(pid), 2000);
    let pgPeak = before.postgres;
    const pgTimer = setInterval(() => void postgresConnections(probe, database).then((n) => (pgPeak = Math.max(pgPeak, n))), 1000);
    console.log(`load: ${args.duration} s, ${args.connections} connections, ${args.users} users${webhooks ? ', webhooks included' : ''}`);
    const started = Date.now();
    const until = started + args.duration * 1000;
    await drive(workload, { concurrency: args.connections, while: () => Date.now() < until });
    const elapsed = (Date.now() - started) / 1000;
    rss.stop();
    clearInterval(pgTimer);

    // After: the queues drain, then the counts are taken again.
    await waitForQuietOutbox(databaseUrl);
    const after = { postgres: await postgresConnections(probe, database), redis: await redisClients(redis), rss: rssMiB(pid) };
    const summary = summarize(workload.outcomes);
    const samples = rss.samples.map((s) => s.value);
    const report = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      duration_s: Math.round(elapsed),
      connections: args.connections,
      users: args.users,
      webhooks,
      requests: summary.requests,
      rate_per_s: Math.round(summary.requests / elapsed),
      statuses: summary.byStatus,
      by_kind: summary.byKind,
      p50_ms: Math.round(summary.p50 * 10) / 10,
      p99_ms: Math.round(summary.p99 * 10) / 10,
      max_ms: Math.round(summary.max),
      rss_mib: { first: samples[0], last: samples[samples.length - 1], peak: Math.max(...samples), thirds: thirds(samples), samples: rss.samples },
      postgres_connections: { before: before.postgres, peak: pgPeak, after: after.postgres, pool_max: POOL_MAX },
      redis_clients: { before: before.redis, after: after.redis },
    };
    printReport(report);
    if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));

    const problems: string[] = [];
    if (summary.serverErrors) problems.push(`${summary.serverErrors} answers were 5xx`);
    if (summary.noAnswer) problems.push(`${summary.noAnswer} requests got no answer`);
    if (after.postgres > Math.max(before.postgres, POOL_MAX)) problems.push(`PostgreSQL connections grew from ${before.postgres} to ${after.postgres}`);
    if (after.redis > before.redis) problems.push(`Redis clients grew from ${before.redis} to ${after.redis}`);
    for (const p of problems) console.error(`load: FAIL: ${p}`);
    failed = problems.length > 0;
    client.close();
  } finally {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      const code = await exitWithin(service, 30_000);
      if (code !== 0) {
        console.error(`load: the service exited with ${code} on SIGTERM:\n${service.output().slice(-2000)}`);
        failed = true;
      }
    }
    await cleanRedis(redis, prefix);
    redis.disconnect();
    await privateRedis?.stop();
    await probe.end();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
  process.exit(failed ? 1 : 0);
}

/** Waits (at most 60 s) until the outbox is relayed, so that the "after" counts see the service settled. */
async function waitForQuietOutbox(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'x18-load-probe' });
  await client.connect();
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from outbox_events where dispatched_at is null');
      if (rows[0].n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

/** Means of the first, middle and last third of the samples: a leak shows as a rising series, GC as noise. */
function thirds(values: number[]): number[] {
  const size = Math.max(1, Math.floor(values.length / 3));
  const mean = (part: number[]) => (part.length ? Math.round(part.reduce((a, b) => a + b, 0) / part.length) : NaN);
  return [mean(values.slice(0, size)), mean(values.slice(size, 2 * size)), mean(values.slice(2 * size))];
}

async function cleanRedis(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

function printReport(r: {
  date: string;
  machine: string;
  duration_s: number;
  connections: number;
  requests: number;
  rate_per_s: number;
  statuses: Record<string, number>;
  by_kind: Record<string, Record<string, number>>;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  rss_mib: { first?: number; last?: number; peak: number; thirds: number[]; samples: { at: number; value: number }[] };
  postgres_connections: { before: number; peak: number; after: number };
  redis_clients: { before: number; after: number };
}): void {
  const lines = [
    `date        ${r.date}`,
    `machine     ${r.machine}`,
    `duration    ${r.duration_s} s, ${r.connections} connections`,
    `requests    ${r.requests} (${r.rate_per_s}/s)`,
    `statuses    ${Object.entries(r.statuses).map(([s, n]) => `${s}: ${n}`).join(', ')}`,
    ...Object.entries(r.by_kind).map(([kind, s]) => `  ${kind.padEnd(16)}${Object.entries(s).map(([k, n]) => `${k}: ${n}`).join(', ')}`),
    `latency     p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, max ${r.max_ms} ms`,
    `rss (MiB)   first ${r.rss_mib.first}, last ${r.rss_mib.last}, peak ${r.rss_mib.peak}; mean of each third of the run ${r.rss_mib.thirds.join(' / ')}`,
    `            ${r.rss_mib.samples.filter((_, i, all) => i % Math.max(1, Math.floor(all.length / 12)) === 0).map((s) => `${Math.round(s.at / 1000)}s:${s.value}`).join(' ')}`,
    `postgres    connections before ${r.postgres_connections.before}, peak ${r.postgres_connections.peak}, after ${r.postgres_connections.after}`,
    `redis       clients before ${r.redis_clients.before}, after ${r.redis_clients.after}`,
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(`load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});

/**
 * The mass-message measurement (issue 26: "the 100,000-recipient mass message, time until every copy is readable;
 * target ≤ 10 s"), shared by `npm run bench` (part `mass-message`, bench/run.ts) and `npm run bench:mass-message`
 * (bench/mass-message.ts). On a scratch database of its own (created and dropped; `keep` keeps it): migrates it, starts
 * the service the caller gives (APP_ROLE=all: the API and one worker), registers the sender, seeds its followers with
 * COPY, then sends `runs` paid mass messages one after the other, each timed from the `POST /messages/mass` to the mass
 * message `sent` (every copy's `messages` row committed, hence readable), with the CPU PostgreSQL and the service used.
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { v7 } from 'uuid';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '@/common/config/load-config';
import { migrateUnderLock } from '@/common/database/migrate';
import { buildOrmOptions } from '@/common/database/orm-options';
import { copyRows } from '../../scripts/lib/copy';
import { withDatabase } from '../../scripts/lib/database';
import { LoadWindow, loadNow } from './machine';
import { stop, waitForHttp } from './processes';

/** The target of the row (issue 26). */
export const MASS_MESSAGE_TARGET_MS = 10_000;

export interface MassMessageOptions {
  /** A PostgreSQL server where the scratch database may be created and dropped. */
  server: string;
  followers: number;
  /** Mass messages sent one after the other: the first creates the conversations, the next find them. */
  runs: number;
  /** MASS_MESSAGE_BATCH_SIZE of the service. */
  batch: number;
  port: number;
  keep?: boolean;
  /** Starts the service with this environment (everything it needs to run against the scratch database). */
  startService: (env: NodeJS.ProcessEnv) => ChildProcess;
  /** The environment to start from (the caller's own, or the bench's server environment). */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface MassMessageRun {
  run: number;
  /** The first run creates the conversations (two sides each); the next ones write into them. */
  conversations: 'created' | 'existing';
  copies: number;
  postMs: number;
  firstBatchMs: number;
  /** From the POST to the mass message `sent`: the row's figure. */
  readableMs: number;
  copiesPerSecond: number;
  cpuSeconds: { postgres: number; service: number };
  load: LoadWindow;
  /** `GET /messages/mass/:id` once sent. */
  figures: unknown;
}

export interface MassMessageResult {
  /** PostgreSQL's server_version. */
  postgres: string;
  followers: number;
  batchSize: number;
  seedMs: number;
  targetMs: number;
  runs: MassMessageRun[];
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; 0 when it is gone or unreadable). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU used so far by the service process and by every PostgreSQL backend on the scratch database. On a shared machine
 * the wall time includes waiting for a core; the CPU time is what the fan-out itself cost.
 */
async function cpuNow(db: Client, dbName: string, servicePid: number): Promise<Map<number, number>> {
  const pids = (await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [dbName])).rows.map((r) => r.pid);
  return new Map([servicePid, ...pids].map((pid) => [pid, cpuSeconds(pid)]));
}

export async function measureMassMessage(o: MassMessageOptions): Promise<MassMessageResult> {
  const n = Math.floor(o.followers);
  const name = `x18_bench_mass_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: o.server });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(o.server, name);
  const base = `http://127.0.0.1:${o.port}/api/v1`;
  let service: ChildProcess | undefined;
  const db = new Client({ connectionString: url });
  try {
    const orm = await MikroORM.init(buildOrmOptions(loadConfig({ ...o.env, DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: '0' }), url));
    await migrateUnderLock(orm);
    await orm.close(true);
    await db.connect();
    const [{ version }] = (await db.query<{ version: string }>(`select current_setting('server_version') as version`)).rows;

    service = o.startService({
      ...o.env,
      APP_ROLE: 'all',
      DATABASE_URL: url,
      REDIS_PREFIX: `x18massbench${randomBytes(3).toString('hex')}`,
      PORT: String(o.port),
      PUBLIC_URL: `http://127.0.0.1:${o.port}`,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      MASS_MESSAGE_BATCH_SIZE: String(Math.floor(o.batch)),
      RATE_LIMIT_REGISTER_IP: '1000/1m',
      // The paid copy needs no payout account here: the bench measures the fan-out, not Connect.
      CONNECT_REQUIRED: 'false',
    });
    await waitForHttp(`http://127.0.0.1:${o.port}/health/ready`, service);

    const register = await fetch(`${base}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'mass_sender', email: 'mass_sender@bench.test', password: 'correct horse battery staple 1' }),
    });
    if (register.status !== 201) throw new Error(`register answered ${register.status}: ${await register.text()}`);
    const token = ((await register.json()) as { access_token: string }).access_token;
    const [{ id: sender }] = (await db.query<{ id: string }>(`select id from users where username = 'mass_sender'`)).rows;

    const t0 = performance.now();
    const ids = Array.from({ length: n }, () => v7());
    const now = new Date();
    await copyRows(db, 'users', ['id', 'username', 'email', 'created_at', 'updated_at'], (function* () {
      for (let i = 0; i < n; i++) yield [ids[i], `mass_fan_${i}`, `mass_fan_${i}@bench.test`, now, now];
    })());
    await copyRows(db, 'follows', ['id', 'follower_id', 'following_id', 'created_at'], (function* () {
      for (let i = 0; i < n; i++) yield [v7(), ids[i], sender, now];
    })());
    await db.query('analyze users; analyze follows');
    const seedMs = Math.round(performance.now() - t0);
    o.log(`mass-message: seeded ${n.toLocaleString('en')} followers with COPY in ${seedMs} ms`);

    const runs: MassMessageRun[] = [];
    for (let run = 1; run <= Math.floor(o.runs); run++) {
      const cpuBefore = await cpuNow(db, name, service.pid!);
      const loadBefore = loadNow();
      const started = performance.now();
      const posted = await fetch(`${base}/messages/mass`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ content: `Hello, all of you (run ${run})`, price_cents: 500, preview: 'something for you', audience: { include: ['followers'] } }),
      });
      if (posted.status !== 202) throw new Error(`POST /messages/mass answered ${posted.status}: ${await posted.text()}`);
      const postMs = performance.now() - started;
      const { id } = (await posted.json()) as { id: string };
      let first = -1;
      for (;;) {
        const [row] = (await db.query<{ status: string; recipients_count: number }>('select status, recipients_count from mass_messages where id = $1', [id])).rows;
        if (first < 0 && row.recipients_count > 0) first = performance.now() - started;
        if (row.status === 'sent') break;
        if (performance.now() - started > 300_000) throw new Error('not sent after 300 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      const doneMs = performance.now() - started;
      const cpuAfter = await cpuNow(db, name, service.pid!);
      let pgCpu = 0;
      for (const [pid, seconds] of cpuAfter) if (pid !== service.pid) pgCpu += seconds - (cpuBefore.get(pid) ?? 0);
      const serviceCpu = (cpuAfter.get(service.pid!) ?? 0) - (cpuBefore.get(service.pid!) ?? 0);
      const load = { before: loadBefore, after: loadNow() };
      const [{ copies }] = (await db.query<{ copies: number }>('select count(*)::int as copies from messages where mass_message_id = $1', [id])).rows;
      if (copies !== n) throw new Error(`mass message ${id}: ${copies} copies for ${n} followers`);
      const figures = await (await fetch(`${base}/messages/mass/${id}`, { headers: { authorization: `Bearer ${token}` } })).json();
      const result: MassMessageRun = {
        run,
        conversations: run === 1 ? 'created' : 'existing',
        copies,
        postMs: Math.round(postMs),
        firstBatchMs: Math.round(first),
        readableMs: Math.round(doneMs),
        copiesPerSecond: Math.round(copies / (doneMs / 1000)),
        cpuSeconds: { postgres: Number(pgCpu.toFixed(1)), service: Number(serviceCpu.toFixed(1)) },
        load,
        figures,
      };
      runs.push(result);
      o.log(
        `mass-message run ${run}: ${copies.toLocaleString('en')} copies; POST answered in ${result.postMs} ms, first batch after ${result.firstBatchMs} ms, ` +
          `every copy readable after ${result.readableMs} ms (${result.copiesPerSecond.toLocaleString('en')} copies/s); ` +
          `CPU ${result.cpuSeconds.postgres} s PostgreSQL, ${result.cpuSeconds.service} s service; load ${load.before[0]} → ${load.after[0]}`,
      );
    }
    return { postgres: version, followers: n, batchSize: Math.floor(o.batch), seedMs, targetMs: MASS_MESSAGE_TARGET_MS, runs };
  } finally {
    await stop(service);
    await db.end().catch(() => undefined);
    if (!o.keep) await admin.query(`drop database if exists ${name} with (force)`);
    else o.log(`mass-message: kept the database ${name}`);
    await admin.end();
  }
}

/** The printed table of a measurement (both commands print it). */
export function massMessageTable(r: MassMessageResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    `Mass message to ${r.followers.toLocaleString('en-US')} followers (batches of ${r.batchSize.toLocaleString('en-US')}; target: every copy readable ≤ ${s(r.targetMs)}):`,
    '',
    '| run | conversations | copies | POST answered | first batch | every copy readable | copies/s | CPU PostgreSQL / service | load before → after | within target |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.runs.map(
      (x) =>
        `| ${x.run} | ${x.conversations} | ${x.copies.toLocaleString('en-US')} | ${x.postMs} ms | ${x.firstBatchMs} ms | **${s(x.readableMs)}** | ` +
        `${x.copiesPerSecond.toLocaleString('en-US')} | ${x.cpuSeconds.postgres} / ${x.cpuSeconds.service} s | ${x.load.before[0].toFixed(2)} → ${x.load.after[0].toFixed(2)} | ${x.readableMs <= r.targetMs ? 'yes' : 'no'} |`,
    ),
    '',
  ];
}

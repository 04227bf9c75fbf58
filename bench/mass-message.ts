/**
 * `npm run bench:mass-message`: a mass message to 100,000 followers, timed from the `POST /messages/mass` to every
 * copy readable (its `messages` row committed, the mass message `sent`), on a scratch database (created and dropped;
 * `--keep` keeps it). Seeds the followers with COPY, starts the service from source (APP_ROLE=all: the API and one
 * worker, as `npm start` runs it), sends, and polls. Prints the time, the batches' pace and a sample check that the
 * last follower's conversation shows the copy. docs/inbox.md#mass-messages has the figures.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { v7 } from 'uuid';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '@/common/config/load-config';
import { migrateUnderLock } from '@/common/database/migrate';
import { buildOrmOptions } from '@/common/database/orm-options';
import { parseArgs } from '../scripts/lib/args';
import { copyRows } from '../scripts/lib/copy';
import { withDatabase } from '../scripts/lib/database';
import { start, stop, waitForHttp } from './lib/processes';

const ROOT = resolve(__dirname, '..');

const USAGE = `Times a mass message to many followers, from the POST to every copy readable (scratch database).

  npm run bench:mass-message -- [options]`;

const args = parseArgs(
  process.argv.slice(2),
  [
    { name: 'followers', value: 'number', default: 100_000, help: 'followers of the sender (the audience)' },
    { name: 'runs', value: 'number', default: 2, help: 'mass messages sent one after the other (the first creates the conversations)' },
    { name: 'batch', value: 'number', default: 5000, help: 'MASS_MESSAGE_BATCH_SIZE' },
    { name: 'port', value: 'number', default: 3917, help: 'HTTP port of the service under test' },
    { name: 'server-url', value: 'string', help: 'PostgreSQL server to create the scratch database on (default: TEST_DATABASE_URL, else local)' },
    { name: 'keep', help: 'keep the scratch database' },
  ],
  USAGE,
);

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
 * the wall time includes waiting for a core; the CPU time is what the fan-out itself cost, and (one batch at a time)
 * close to its wall time on an idle machine.
 */
async function cpuNow(db: Client, dbName: string, servicePid: number): Promise<Map<number, number>> {
  const pids = (await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [dbName])).rows.map((r) => r.pid);
  return new Map([servicePid, ...pids].map((pid) => [pid, cpuSeconds(pid)]));
}

async function main(): Promise<void> {
  const n = Math.floor(args.followers as number);
  const server = (args['server-url'] as string | undefined) ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `x18_bench_mass_${process.pid}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(server, name);
  const port = Math.floor(args.port as number);
  const base = `http://127.0.0.1:${port}/api/v1`;
  let service: ReturnType<typeof start> | undefined;
  const db = new Client({ connectionString: url });
  try {
    process.env.DATABASE_STATEMENT_TIMEOUT_MS ??= '0';
    const orm = await MikroORM.init(buildOrmOptions(loadConfig(), url));
    await migrateUnderLock(orm);
    await orm.close(true);
    await db.connect();

    const prefix = `x18massbench${randomBytes(3).toString('hex')}`;
    service = start('service', process.execPath, ['-r', join(ROOT, 'test/support/ts-register.js'), join(ROOT, 'src/main.ts')], {
      ...process.env,
      APP_ROLE: 'all',
      NODE_ENV: 'development',
      DATABASE_URL: url,
      REDIS_PREFIX: prefix,
      PORT: String(port),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      MASS_MESSAGE_BATCH_SIZE: String(Math.floor(args.batch as number)),
      RATE_LIMIT_REGISTER_IP: '1000/1m',
      // The paid copy needs no payout account here: the bench measures the fan-out, not Connect.
      CONNECT_REQUIRED: 'false',
    });
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, service);

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
    console.log(`seeded ${n.toLocaleString('en')} followers with COPY in ${Math.round(performance.now() - t0)} ms`);

    for (let run = 1; run <= Math.floor(args.runs as number); run++) {
      const cpuBefore = await cpuNow(db, name, service.pid!);
      const loadBefore = (await import('node:os')).loadavg()[0];
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
      const loadAfter = (await import('node:os')).loadavg()[0];
      const [{ copies }] = (await db.query<{ copies: number }>('select count(*)::int as copies from messages where mass_message_id = $1', [id])).rows;
      const stats = await fetch(`${base}/messages/mass/${id}`, { headers: { authorization: `Bearer ${token}` } });
      const figures = await stats.json();
      console.log(
        `run ${run}: ${copies.toLocaleString('en')} copies; POST answered in ${Math.round(postMs)} ms, first batch after ${Math.round(first)} ms, ` +
          `every copy readable after ${Math.round(doneMs)} ms (${Math.round(copies / (doneMs / 1000)).toLocaleString('en')} copies/s)`,
      );
      console.log(
        `  CPU used: ${pgCpu.toFixed(1)} s by PostgreSQL backends, ${serviceCpu.toFixed(1)} s by the service; ` +
          `load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after (2 cores: above 2, the run waited for a core)`,
      );
      console.log(`  figures: ${JSON.stringify(figures)}`);
    }
  } finally {
    await stop(service);
    await db.end().catch(() => undefined);
    if (!args.keep) await admin.query(`drop database if exists ${name} with (force)`);
    else console.log(`kept the database ${name}`);
    await admin.end();
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});

/**
 * `npm run soak`: a bounded fault soak on loopback. Two API and two worker processes on a database and a private,
 * non-persistent Redis of their own take mixed traffic (reads, posts, replies, reposts, likes, follows, premium posts
 * to a creator with subscribers, Stripe webhook deliveries against the local Stripe test server, media uploads, direct
 * messages, paid messages bought through Checkout, mass messages when the build has them: test/soak/inbox.ts) while a
 * chaos loop restarts Redis empty, kills PostgreSQL backends and SIGKILLs workers. Then, once everything is quiet,
 * the invariants are checked and printed as a table; the exit code says whether they all held.
 *
 *   npm run soak                      5 minutes
 *   SOAK_SECONDS=60 npm run soak      the CI-sized run
 *
 * Environment: SOAK_SECONDS (300), SOAK_CONNECTIONS (12), SOAK_USERS (24), SOAK_SUBSCRIBERS (300), SOAK_JSON (a file
 * for the figures), SOAK_KEEP=1 (keep the database and the processes' logs even when every row holds),
 * TEST_DATABASE_URL (a server where it may create and drop a database; default
 * postgres://postgres@127.0.0.1:5432/postgres). Needs `redis-server` on the PATH.
 *
 * When a row breaks, the database and the processes' logs are kept (their names and how to drop them are printed),
 * and the offending rows are printed with the outbox events and receipts that concern them (evidence.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Actor, MixedWorkload, registerUsers, summarize } from '../load/workload';
import { RedisServer, redisServerAvailable } from '../support/redis-server';
import { exitWithin, ServiceProcess, startServiceProcess } from '../support/service-process';
import { stripeEnv, stripeEvent } from '../support/stripe-events';
import { nowSeconds, StripeObject, StripeTestServer } from '../support/stripe-server';
import { startWorkerProcess, untilRunning, WorkerProcess } from '../support/worker-process';
import { Chaos } from './chaos';
import { collectEvidence } from './evidence';
import { checkInvariants, InvariantRow, pendingWork, printTable, StripePair } from './invariants';
import { moneyInvariant } from './money';
import { InboxTraffic } from './inbox';
import { RoundRobinClient, SoakTraffic } from './traffic';

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number`);
  return value;
};
const SECONDS = number('SOAK_SECONDS', 300);
const CONNECTIONS = number('SOAK_CONNECTIONS', 12);
const USERS = number('SOAK_USERS', 24);
const SUBSCRIBERS = number('SOAK_SUBSCRIBERS', 300);
const STRIPE_PAIRS = 8;
const QUIET_TIMEOUT_MS = 180_000;
const LIMIT = '100000000/1h';
const DAY = 86_400;

const log = (message: string) => console.log(`soak: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fans subscribed to creators through checkout, and the webhook events Stripe sends about them, final state set. */
async function stripeSetup(client: RoundRobinClient, stripe: StripeTestServer, fans: Actor[], creators: Actor[]): Promise<{ pairs: StripePair[]; events: StripeObject[] }> {
  const pairs: StripePair[] = [];
  const events: StripeObject[] = [];
  for (const creator of creators) {
    const res = await client.json('PATCH', '/api/v1/me', { subscription_price_cents: 800 }, creator.accessToken);
    if (res.status !== 200) throw new Error(`PATCH /me answered ${res.status}: ${res.text.slice(0, 300)}`);
  }
  for (const [index, fan] of fans.entries()) {
    const creator = creators[index % creators.length];
    const started = await client.json('POST', `/api/v1/users/${creator.username}/subscription`, undefined, fan.accessToken);
    if (started.status !== 201) throw new Error(`subscribe answered ${started.status}: ${started.text.slice(0, 300)}`);
    const { session, subscription } = stripe.completeCheckout((started.body as { checkout_session_id: string }).checkout_session_id);
    const id = subscription!.id as string;
    const early = nowSeconds() - 600;
    events.push(
      stripeEvent('checkout.session.completed', session, { created: early }),
      stripeEvent('customer.subscription.created', { ...subscription, status: 'incomplete' }, { created: early }),
      stripeEvent('customer.subscription.updated', subscription!, { created: early + 1 }),
      // The invoice checkout paid, with the charge Stripe's balance records for it (reconciliation reads those).
      stripeEvent('invoice.paid', stripe.invoice(id, true, { first: true }), { created: early + 1 }),
    );
    // Where Stripe ends up: renewed, set to cancel, past due or canceled, in turn.
    const now = nowSeconds();
    switch (index % 4) {
      case 0:
        events.push(stripeEvent('customer.subscription.updated', stripe.updateSubscription(id, { periodStart: now - DAY, periodEnd: now + 29 * DAY })));
        break;
      case 1:
        events.push(stripeEvent('customer.subscription.updated', stripe.updateSubscription(id, { cancel_at_period_end: true })));
        break;
      case 2:
        events.push(
          stripeEvent('invoice.payment_failed', stripe.invoice(id, false)),
          stripeEvent('customer.subscription.updated', stripe.updateSubscription(id, { status: 'past_due', periodStart: now - 31 * DAY, periodEnd: now - DAY })),
        );
        break;
      default:
        events.push(stripeEvent('customer.subscription.deleted', stripe.updateSubscription(id, { status: 'canceled', canceled_at: now, ended_at: now })));
    }
    pairs.push({ fanId: fan.id, creatorId: creator.id, subscriptionId: id });
  }
  // Stripe keeps every event, delivered or not: `events.list` (reconciliation's repair) returns them all.
  for (const event of events) stripe.balance.publish(event);
  return { pairs, events };
}

/**
 * Deliveries lost on purpose: every `DROP_EVERY`th pair's `invoice.paid` never reaches the webhook (Stripe gave up,
 * the endpoint was down). Only reconciliation finds them (test/soak/money.ts).
 */
const DROP_EVERY = 4;
function dropped(events: StripeObject[]): StripeObject[] {
  return events.filter((e) => e.type === 'invoice.paid').filter((_, i) => i % DROP_EVERY === 0);
}

/** Shuffled, with one delivery in four repeated: Stripe delivers late, out of order and more than once. */
function deliveries(events: StripeObject[]): StripeObject[] {
  const all = [...events, ...events.filter(() => Math.random() < 0.25)];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

async function seedSubscribers(db: Client, creatorId: string, count: number): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  await db.query(
    `with fans as (
       insert into users (id, username, email, created_at, updated_at)
       select uuid_generate_v7(), 'soakfan_' || $1 || '_' || i, 'soakfan_' || $1 || '_' || i || '@example.test', now(), now()
         from generate_series(1, $2::int) i returning id)
     insert into subscriptions (id, subscriber_id, creator_id, status, price_cents, current_period_start, current_period_end, created_at, updated_at)
     select uuid_generate_v7(), id, $3, 'active', 500, now(), now() + interval '30 days', now(), now() from fans`,
    [tag, count, creatorId],
  );
}

/** Waits until nothing moves: no event waiting or unhandled, no upload processing, notifications steady for 5 s. */
async function quiesce(db: Client): Promise<Record<string, number>> {
  const deadline = Date.now() + QUIET_TIMEOUT_MS;
  let last = '';
  let steadySince = Date.now();
  for (;;) {
    const pending = await pendingWork(db);
    const key = JSON.stringify(pending);
    if (key !== last) {
      last = key;
      steadySince = Date.now();
    }
    const idle = pending.outbox === 0 && pending.unhandled === 0 && pending.stripe === 0 && pending.media === 0;
    if ((idle && Date.now() - steadySince >= 5000) || Date.now() > deadline) return pending;
    await sleep(500);
  }
}

async function main(): Promise<number> {
  if (!redisServerAvailable()) throw new Error('redis-server is not on the PATH: the soak restarts a private Redis and needs the binary');
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `x18_soak_${runId}`;
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString();
  const dataDir = join(tmpdir(), `x18-soak-${runId}`);
  const admin = new Client({ connectionString: adminUrl, application_name: 'x18soak-admin' });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const redis = await RedisServer.start();
  const stripe = await StripeTestServer.start();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '8',
    REDIS_URL: redis.url,
    REDIS_PREFIX: `x18soak:${runId}`,
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ...stripeEnv(stripe),
    // The premium creator sets a price with no connected account: the platform-collects mode (docs/payouts.md).
    CONNECT_REQUIRED: 'false',
    RATE_LIMIT_LOGIN_ACCOUNT: LIMIT,
    RATE_LIMIT_LOGIN_IP: LIMIT,
    RATE_LIMIT_REGISTER_IP: LIMIT,
    RATE_LIMIT_REFRESH_SESSION: LIMIT,
    RATE_LIMIT_MEDIA_UPLOAD: LIMIT,
    RATE_LIMIT_POST_CREATE: LIMIT,
    RATE_LIMIT_MESSAGE: LIMIT,
    // Events still without every handler's receipt (a Redis restarted empty lost their jobs) are sent again after
    // this: short, so that the run settles within its quiet period.
    OUTBOX_RESEND_AFTER: '20s',
  };
  // Workers log at info: `untilRunning` waits for their "running as worker" line.
  // Every process ever started, the killed ones too: their logs are kept with the evidence.
  const processes: { name: string; process: WorkerProcess }[] = [];
  const startWorker = () => {
    const worker = startWorkerProcess({ ...env, APP_ROLE: 'worker', LOG_LEVEL: 'info' });
    processes.push({ name: `worker-${processes.length + 1}`, process: worker });
    return worker;
  };
  const startApi = async () => {
    const api = await startServiceProcess({ ...env, APP_ROLE: 'api' });
    processes.push({ name: `api-${processes.length + 1}`, process: api });
    return api;
  };
  const apis: ServiceProcess[] = [];
  const workers: WorkerProcess[] = [];
  let client: RoundRobinClient | undefined;
  let db: Client | undefined;
  let keep = process.env.SOAK_KEEP === '1';
  try {
    log(`database ${database}, Redis on ${redis.port} (no persistence), Stripe test server at ${stripe.url}`);
    // The first API migrates; the others find the schema in place.
    apis.push(await startApi());
    apis.push(await startApi());
    workers.push(startWorker(), startWorker());
    await Promise.all(workers.map((w) => untilRunning(w, 90_000)));
    log(`2 API processes (ports ${apis.map((a) => a.port).join(', ')}) and 2 workers running`);

    client = new RoundRobinClient(
      apis.map((a) => a.port),
      CONNECTIONS,
    );
    const [actors, fans, creators] = [
      await registerUsers(client, USERS, 'soak'),
      await registerUsers(client, STRIPE_PAIRS, 'soakfan'),
      await registerUsers(client, 3, 'soakcreator'),
    ];
    const premiumCreator = actors[0];
    const seeder = await connected(databaseUrl);
    await seedSubscribers(seeder, premiumCreator.id, SUBSCRIBERS).finally(() => seeder.end());
    const { pairs, events } = await stripeSetup(client, stripe, fans, creators);
    const workload = new MixedWorkload(client, actors, { timeoutMs: 30_000 });
    await workload.seed();
    const lost = dropped(events);
    const delivered = events.filter((e) => !lost.includes(e));
    const inbox = new InboxTraffic(client, actors, stripe, premiumCreator);
    await inbox.prepare();
    const traffic = new SoakTraffic(client, workload, actors, { premiumCreator, stripeDeliveries: deliveries(delivered), inbox });
    await traffic.prepare();

    const chaos = new Chaos({ redis, admin, database, workers, startWorker });
    log(`traffic for ${SECONDS} s on ${CONNECTIONS} connections, ${USERS} users, ${SUBSCRIBERS} subscribers of the premium creator; chaos on`);
    const begun = Date.now();
    const until = begun + SECONDS * 1000;
    chaos.start();
    await traffic.drive(CONNECTIONS, () => Date.now() < until);
    await chaos.stop();
    const elapsed = (Date.now() - begun) / 1000;
    const redelivered = await traffic.deliverRest();
    const inboxRest = await inbox.finish();
    log(
      `traffic done in ${Math.round(elapsed)} s; ${chaos.faults.length} faults; ${redelivered} Stripe deliveries and ${inboxRest.deliveries} purchase completions ` +
        `sent again, ${inboxRest.reads} unanswered reads read again; ${inbox.purchases.length} messages bought, ${inbox.massMessages.length} mass messages` +
        `${inbox.massRoute ? '' : ' (no POST /messages/mass in this build)'}; waiting for quiet`,
    );

    db = await connected(databaseUrl);
    await quiesce(db);
    // Money: reconciliation over the soak's window finds the dropped deliveries, repair records them, then nothing.
    log(`${lost.length} invoice.paid deliveries dropped on purpose; reconciling against Stripe`);
    const money = await moneyInvariant({ env, window: { from: new Date(begun - 3_600_000), to: new Date(Date.now() + 3_600_000) }, db, stripe, lost });
    const pending = await quiesce(db);
    const rows: InvariantRow[] = await checkInvariants(db, {
      premiumCreatorId: premiumCreator.id,
      premiumPosts: [...traffic.premiumPosts],
      stripe,
      stripePairs: pairs,
      stripeEventIds: [...new Set(events.map((e) => e.id as string))],
      uploads: [...traffic.uploads],
      inbox,
    });
    rows.push(money);
    // HTTP: a 5xx is a bug unless it is a 503 while Redis or PostgreSQL was away.
    const serverErrors = traffic.outcomes.filter((o) => o.status >= 500);
    const excused = serverErrors.filter((o) => o.status === 503 && chaos.dependencyDown(o.sentAt, o.at));
    const unexplained = serverErrors.filter((o) => !excused.includes(o));
    for (const o of unexplained) {
      const gap = chaos.distanceToOutage(o.at);
      log(
        `unexplained ${o.status} ${o.kind} at ${((o.at - begun) / 1000).toFixed(1)} s, took ${o.at - o.sentAt} ms, ` +
          `${gap === undefined ? 'no outage' : `${gap} ms from the nearest outage`}${o.requestId ? `, request ${o.requestId} (its lines in the kept API logs)` : ''}`,
      );
    }
    const noAnswer = traffic.outcomes.filter((o) => o.status === 0);
    rows.push({
      invariant: 'no 5xx but 503 during an outage',
      checked: traffic.outcomes.length,
      violations: unexplained.length,
      detail: `503 in outages ${excused.length}; other 5xx ${unexplained.length}${unexplained.length ? ` (${summarizeErrors(unexplained)})` : ''}`,
    });
    rows.push({ invariant: 'every request answered', checked: traffic.outcomes.length, violations: noAnswer.length, detail: noAnswer.length ? summarizeErrors(noAnswer) : undefined });

    const summary = summarize(traffic.outcomes.map((o) => ({ kind: o.kind as never, status: o.status, ms: 0 })));
    const faults = chaos.faults.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.kind]: (acc[f.kind] ?? 0) + 1 }), {});
    const report = {
      date: new Date().toISOString(),
      duration_s: Math.round(elapsed),
      connections: CONNECTIONS,
      requests: summary.requests,
      rate_per_s: Math.round(summary.requests / elapsed),
      by_kind: summary.byKind,
      faults,
      fault_log: chaos.faults.map((f) => ({ kind: f.kind, at_s: Math.round((f.from - begun) / 100) / 10, ms: f.until - f.from, detail: f.detail })),
      quiet: pending,
      invariants: rows,
    };
    console.log(`\nsoak: ${summary.requests} requests in ${Math.round(elapsed)} s (${report.rate_per_s}/s); statuses ${JSON.stringify(summary.byStatus)}`);
    console.log(`soak: by kind ${JSON.stringify(summary.byKind)}`);
    console.log(`soak: faults ${JSON.stringify(faults)}; after quiet: ${JSON.stringify(pending)}\n`);
    console.log(printTable(rows));
    if (process.env.SOAK_JSON) writeFileSync(process.env.SOAK_JSON, JSON.stringify(report, null, 2));
    const broken = rows.filter((r) => r.violations > 0);
    if (broken.length) {
      keep = true;
      const evidence = await collectEvidence(db, { premiumPosts: [...traffic.premiumPosts], uploads: [...traffic.uploads], premiumCreatorId: premiumCreator.id, inbox });
      console.log(`\nsoak: the offending rows\n${evidence.join('\n')}`);
    }
    console.log(broken.length ? `\nsoak: FAIL: ${broken.length} invariant(s) broken` : '\nsoak: every invariant held');
    return broken.length ? 1 : 0;
  } catch (error) {
    // A soak that could not finish keeps what it made: the cause is in the processes' logs and the database.
    keep = true;
    throw error;
  } finally {
    client?.close();
    await db?.end().catch(() => undefined);
    await Promise.all(
      [...apis, ...workers].map(async (p) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return;
        p.child.kill('SIGTERM');
        await exitWithin(p, 30_000);
      }),
    );
    await stripe.close();
    await redis.stop();
    if (keep) {
      const logs = join(dataDir, 'logs');
      mkdirSync(logs, { recursive: true });
      for (const { name, process: p } of processes) writeFileSync(join(logs, `${name}.log`), p.output());
      log(`kept the database ${database} and the processes' logs in ${logs} (media files beside them)`);
      log(`  look:  psql '${databaseUrl}'`);
      log(`  drop:  psql '${adminUrl}' -c 'drop database ${database} with (force)' && rm -rf ${dataDir}`);
    } else {
      await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
    await admin.end();
  }
}

async function connected(url: string): Promise<Client> {
  const db = new Client({ connectionString: url, application_name: 'x18soak-checker' });
  await db.connect();
  return db;
}

function summarizeErrors(outcomes: { kind: string; status: number; code?: string; error?: string }[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = `${o.kind} ${o.status}${o.code ? ` ${o.code}` : ''}${o.error ? ` ${o.error.slice(0, 60)}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([k, n]) => `${n}× ${k}`)
    .join('; ');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);

/**
 * `npm run bench:earnings`: GET /me/earnings's two reads for a creator with 100,000 subscribers and a year of ledger,
 * on a scratch database (created and dropped; `--keep` keeps it). Seeds with generate_series, then times the real
 * queries (EarningsLedger.months, entitlements' revenueOf) and, for comparison, the same 12 months
 * aggregated from the ledger itself. Prints medians and the plans; docs/billing.md#earnings has the figures.
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '@/common/config/load-config';
import { migrateUnderLock } from '@/common/database/migrate';
import { buildOrmOptions } from '@/common/database/orm-options';
import { EarningsLedger, REBUILD_EARNINGS_MONTHS_SQL } from '@/modules/billing/earnings/earnings-ledger';
import { revenueOf } from '@/modules/entitlements/entitlement-queries';
import { parseArgs } from './lib/args';
import { withDatabase } from './lib/database';

const USAGE = `Times GET /me/earnings's queries for one creator with many subscribers (scratch database).

  npm run bench:earnings -- [options]`;

const args = parseArgs(
  process.argv.slice(2),
  [
    { name: 'subscribers', value: 'number', default: 100_000, help: 'subscriptions of the creator' },
    { name: 'runs', value: 'number', default: 30, help: 'timed runs of each query' },
    { name: 'server-url', value: 'string', help: 'PostgreSQL server to create the scratch database on (default: TEST_DATABASE_URL, else local)' },
    { name: 'keep', help: 'keep the scratch database' },
  ],
  USAGE,
);

// Seeding inserts hundreds of thousands of rows per statement: no statement timeout for this script.
process.env.DATABASE_STATEMENT_TIMEOUT_MS ??= '0';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

async function timed(runs: number, run: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  await run(); // warm
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  return { median: Math.round(median(ms) * 100) / 100, p95: Math.round(p95(ms) * 100) / 100 };
}

async function main(): Promise<void> {
  const n = Math.floor(args.subscribers as number);
  const runs = Math.floor(args.runs as number);
  const server = (args['server-url'] as string | undefined) ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `x18_bench_earnings_${process.pid}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(server, name);
  const orm = await MikroORM.init(buildOrmOptions(loadConfig(), url));
  try {
    await migrateUnderLock(orm);
    const em = orm.em.fork();
    const t0 = Date.now();
    const [{ id: creator }] = await em.execute<{ id: string }[]>(
      `insert into users (id, username, email, created_at, updated_at) values (uuid_generate_v7(), 'bench_creator', 'bench_creator@bench.test', now(), now()) returning id`,
    );
    await em.execute(
      `insert into users (id, username, email, created_at, updated_at)
         select uuid_generate_v7(), 'fan_' || g, 'fan_' || g || '@bench.test', now(), now() from generate_series(1, ?) g`,
      [n],
    );
    // 90 % active, 5 % past_due within the grace period, 5 % canceled; each started 0-11 months ago.
    await em.execute(
      `insert into subscriptions (id, subscriber_id, creator_id, status, price_cents, currency, stripe_subscription_id,
                                  current_period_start, current_period_end, created_at, updated_at)
         select uuid_generate_v7(), u.id, ?, case when g % 20 = 0 then 'canceled' when g % 20 = 1 then 'past_due' else 'active' end,
                500 + (g % 3) * 250, 'usd', 'sub_bench_' || g, now() - interval '10 days', now() + interval '20 days',
                now() - (g % 12) * interval '30 days', now()
           from (select id, row_number() over () as g from users where email like 'fan_%@bench.test') u`,
      [creator],
    );
    // The ledger: started, one payment per month since the start, ended for the canceled ones.
    await em.execute(
      `insert into earnings_entries (id, creator_id, kind, gross_cents, fee_cents, net_cents, amount_cents, currency, counterparty_id,
                                     stripe_object_id, stripe_event_id, stripe_invoice_id, stripe_subscription_id, occurred_at)
         select uuid_generate_v7(), s.creator_id, 'subscription_payment', s.price_cents, s.price_cents / 10, s.price_cents - s.price_cents / 10,
                s.price_cents, 'usd', s.subscriber_id, 'in_' || s.stripe_subscription_id || '_' || k, 'evt_' || s.stripe_subscription_id || '_' || k,
                'in_' || s.stripe_subscription_id || '_' || k, s.stripe_subscription_id, s.created_at + k * interval '30 days'
           from subscriptions s, generate_series(0, 11) k
          where s.creator_id = ? and s.created_at + k * interval '30 days' <= now()`,
      [creator],
    );
    await em.execute(
      `insert into earnings_entries (id, creator_id, kind, gross_cents, fee_cents, net_cents, amount_cents, currency, counterparty_id, stripe_object_id, stripe_subscription_id, occurred_at)
         select uuid_generate_v7(), creator_id, 'subscriber_started', 0, 0, 0, 0, 'usd', subscriber_id, stripe_subscription_id, stripe_subscription_id, created_at
           from subscriptions where creator_id = ?
         union all
         select uuid_generate_v7(), creator_id, 'subscriber_ended', 0, 0, 0, 0, 'usd', subscriber_id, stripe_subscription_id, stripe_subscription_id, now() - interval '1 day'
           from subscriptions where creator_id = ? and status = 'canceled'`,
      [creator, creator],
    );
    await em.execute(REBUILD_EARNINGS_MONTHS_SQL);
    await em.execute('vacuum analyze users, subscriptions, earnings_entries, earnings_months');
    const [{ entries }] = await em.execute<{ entries: number }[]>('select count(*)::int as entries from earnings_entries');
    console.log(`seeded ${n} subscriptions and ${entries} ledger entries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const ledger = new EarningsLedger();
    const grace = loadConfig().billing.pastDueGraceDays;
    const months = await timed(runs, () => ledger.months(orm.em.fork(), creator, 'usd'));
    const revenue = await timed(runs, () => revenueOf(orm.em.fork(), creator, 'usd', grace));
    const fromLedgerSql = `select to_char(date_trunc('month', occurred_at at time zone 'UTC'), 'YYYY-MM') as month, sum(gross_cents), sum(fee_cents), sum(net_cents),
        count(*) filter (where kind = 'unlock'), count(*) filter (where kind = 'subscriber_started'), count(*) filter (where kind = 'subscriber_ended')
      from earnings_entries where creator_id = ? and occurred_at >= date_trunc('month', now() at time zone 'UTC') - interval '11 months' group by 1`;
    const fromLedger = await timed(Math.min(runs, 5), () => orm.em.fork().execute(fromLedgerSql, [creator]));
    console.log(JSON.stringify({ subscribers: n, ledgerEntries: entries, revenue: await revenueOf(orm.em.fork(), creator, 'usd', grace) }));
    console.log(`earnings_months read (summary):            median ${months.median} ms, p95 ${months.p95} ms`);
    console.log(`MRR and active subscribers (subscriptions): median ${revenue.median} ms, p95 ${revenue.p95} ms`);
    console.log(`for comparison, 12 months from the ledger:  median ${fromLedger.median} ms, p95 ${fromLedger.p95} ms`);
    const planOf = async (sql: string, params: unknown[]) =>
      (await orm.em.fork().execute<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers, costs off) ${sql}`, params)).map((r) => r['QUERY PLAN']).join('\n');
    console.log('\n' + (await planOf(`select * from earnings_months where creator_id = ? and currency = 'usd' order by month`, [creator])));
    console.log(
      '\n' +
        (await planOf(
          `select coalesce(r.subscribers, 0) + g.subscribers, coalesce(r.monthly_cents, 0) + g.monthly
             from (select count(*)::int as subscribers, coalesce(sum(s.price_cents), 0)::int8 as monthly from subscriptions s
                    where s.creator_id = ? and s.status = 'past_due' and s.currency = 'usd' and s.current_period_end + make_interval(days => ?) > now()) g
             left join subscription_revenue r on r.creator_id = ? and r.currency = 'usd'`,
          [creator, grace, creator],
        )),
    );
  } finally {
    await orm.close();
    if (!args.keep) await admin.query(`drop database ${name} with (force)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

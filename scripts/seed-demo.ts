/**
 * Demo data at scale through the real schema: `npm run seed:demo -- --users 10000 --posts 1000000`.
 * Deterministic for a given seed and day (timestamps end at the start of the current UTC day). See `--help` and
 * docs/benchmarks.md#demo-data.
 */
import { hashPassword } from '@/common/security/password';
import { escapeHtml } from '@/modules/posts/post-content';
import { REBUILD_EARNINGS_MONTHS_SQL } from '@/modules/billing/earnings/earnings-ledger';
import { fail, parseArgs } from './lib/args';
import { dropForLoad, reconcileCounters, restoreAfterLoad, truncateAll } from './lib/bulk-load';
import { copyRows, CopyValue, isoMs } from './lib/copy';
import { connect, openScriptDatabase } from './lib/database';
import { EARNINGS_COLUMNS, earningsRows } from './lib/demo-earnings';
import {
  CREATOR, DEMO_ACCOUNTS, DEMO_PASSWORD, DemoOptions, hashtags, makeFollows, makeUsers, USER_COLUMNS, userRow, VIEWER_200, VIEWER_5K,
} from './lib/demo-graph';
import {
  HASHTAG_COUNT, KIND_REPLY, KIND_REPOST, LIKE_COLUMNS, likeRows, makePosts, MUTE_COLUMNS, muteRows, POST_COLUMNS, postRows,
  SUBSCRIPTION_COLUMNS, subscriptionRows, totalLikes, UNLOCK_COLUMNS, unlockRows,
} from './lib/demo-posts';
import { PAYOUT_ACCOUNT_COLUMNS, payoutAccountRows } from './lib/demo-payouts';
import { Rng } from './lib/prng';
import { formatCount, Progress, step } from './lib/progress';
import { uuid7 } from './lib/uuid7';

/** The tables loaded in bulk without their secondary indexes and constraints (rebuilt at the end). */
const BULK_TABLES = ['posts', 'likes', 'follows', 'post_hashtags'];

/**
 * Tiers (docs/billing.md#tiers): every creator with a price gets its first tier at that price (as the tiers migration
 * does for existing data) and their subscriptions are on it; demo_creator (`$1`) also sells two higher tiers, one
 * with a yearly price and a trial. No Stripe ids: the prices are created at the first checkout.
 */
const DEMO_TIERS_SQL = `
  with first as (
    insert into tiers (id, creator_id, name, description, benefits, monthly_price_cents, currency, position)
    select uuid_generate_v7(), u.id, 'Subscription', null, '{}', u.subscription_price_cents, u.currency, 1
      from users u where u.subscription_price_cents is not null
    returning id, creator_id
  ), more as (
    insert into tiers (id, creator_id, name, description, benefits, monthly_price_cents, yearly_price_cents, currency, trial_days, position)
    select uuid_generate_v7(), u.id, t.name, t.description, t.benefits, t.monthly, t.yearly, u.currency, t.trial_days, t.position
      from users u, (values
        ('Inner circle', 'Everything, plus weekly behind-the-scenes', array['Weekly behind-the-scenes', 'Monthly live Q&A'], 1500, 15000, 7, 2),
        ('VIP', 'Everything, plus a personal message each month', array['A personal message each month', 'Early access'], 5000, null, 0, 3)
      ) as t(name, description, benefits, monthly, yearly, trial_days, position)
     where u.id = $1
  )
  update subscriptions s set tier_id = first.id from first where first.creator_id = s.creator_id`;

/**
 * Offers and bundles (docs/billing.md#offers, docs/billing.md#bundles): demo_creator (`$1`) has the offer `WELCOME20`
 * (20 % off the first payment, for new subscribers, on every tier) and sells 3, 6 and 12 months at 10, 15 and 25 % off.
 * No Stripe ids, as for tiers: the coupon and the bundle prices are created at the first checkout that needs them.
 */
const DEMO_OFFERS_SQL = `
  with bundles as (
    insert into creator_bundles (creator_id, months, discount_percent)
    select $1::uuid, b.months, b.discount_percent from (values (3, 10), (6, 15), (12, 25)) as b(months, discount_percent)
  )
  insert into offers (id, creator_id, code, kind, percent_off, currency, duration, audience)
  select uuid_generate_v7(), u.id, 'WELCOME20', 'percent', 20, u.currency, 'once', 'new' from users u where u.id = $1`;

const USAGE = `Seeds demo data (deterministic, realistic, through the real schema; migrations are applied first).

  npm run seed:demo -- [options]

The database: --database-url, else DATABASE_URL, else the embedded PostgreSQL (as the service picks it).
A database that already has users (other than admins) is refused unless --reset, which empties every table
(the service creates its first admin again at its next start) and seeds afresh. There is no append mode.`;

function options() {
  const args = parseArgs(
    process.argv.slice(2),
    [
      { name: 'users', value: 'number', default: 2000, help: 'accounts (at least 10)' },
      { name: 'posts', value: 'number', default: 100_000, help: 'posts, replies and reposts' },
      { name: 'seed', value: 'number', default: 42, help: 'PRNG seed: same seed, same data' },
      { name: 'likes-per-post', value: 'number', default: 2, help: 'average likes of a likeable post' },
      { name: 'database-url', value: 'string', help: 'postgres:// URL (default: DATABASE_URL, else embedded)' },
      { name: 'reset', help: 'empty every table first (required when the database already has users)' },
      { name: 'force', help: 'same as --reset' },
    ],
    USAGE,
  );
  const users = Math.floor(args.users as number);
  const posts = Math.floor(args.posts as number);
  if (users < 10) fail('--users must be at least 10');
  const day = 86_400_000;
  const demo: DemoOptions = { users, posts, seed: Math.floor(args.seed as number), likesPerPost: args['likes-per-post'] as number, now: Math.floor(Date.now() / day) * day };
  return { demo, databaseUrl: args['database-url'] as string | undefined, reset: !!(args.reset || args.force) };
}

async function main(): Promise<void> {
  const { demo, databaseUrl, reset } = options();
  const started = Date.now();
  const db = await openScriptDatabase(databaseUrl);
  const client = await connect(db.url, 'x18-seed-demo');
  const timings: Record<string, number> = {};
  try {
    const { rows: [existing] } = await client.query<{ n: string }>(`select count(*) as n from users where role <> 'admin'`);
    if (Number(existing.n) > 0 && !reset) {
      fail(`the database already has ${existing.n} users: pass --reset to empty every table and seed afresh (nothing was changed)`);
    }
    if (reset) await step('reset', () => truncateAll(client));

    // 1. Structure in memory: who exists, who follows whom, who posts what when (counters follow from it).
    const users = makeUsers(demo);
    let bar = new Progress('graph', users.n, 'users');
    const follows = makeFollows(demo, users, () => bar.tick());
    timings.graph = bar.finish();
    bar = new Progress('plan posts', demo.posts, 'posts');
    const posts = makePosts(demo, users, () => bar.tick());
    timings.plan = bar.finish();
    const tags = hashtags(demo, HASHTAG_COUNT);
    const passwordHash = await hashPassword(DEMO_PASSWORD);
    const publicUrl = escapeHtml(db.config.http.publicUrl);

    // 2. One transaction: bare tables, COPY everything, rebuild indexes and constraints, reconcile counters.
    await client.query('begin');
    await client.query(`set local maintenance_work_mem = '512MB'`);
    await client.query('set local synchronous_commit = off');
    await client.query('set local statement_timeout = 0');
    const saved = await dropForLoad(client, BULK_TABLES);
    const load = async (phase: string, table: string, columns: string[], rows: Iterable<CopyValue[]>, total: number) => {
      const progress = new Progress(phase, total);
      await copyRows(client, table, columns, rows, (n) => progress.tick(n));
      timings[phase] = progress.finish();
    };
    await load('users', 'users', USER_COLUMNS, (function* () {
      for (let i = 0; i < users.n; i++) yield userRow(users, i, passwordHash);
    })(), users.n);
    await load('hashtags', 'hashtags', ['id', 'name', 'created_at'], tags.names.map((name, i) => [tags.ids[i], name, isoMs(tags.created)]), HASHTAG_COUNT);
    await load('follows', 'follows', ['id', 'follower_id', 'following_id', 'created_at'], (function* () {
      const rng = new Rng(demo.seed, 9);
      for (let e = 0; e < follows.count; e++) {
        yield [uuid7(follows.at[e], rng), users.ids[follows.follower[e]], users.ids[follows.following[e]], isoMs(follows.at[e])];
      }
    })(), follows.count);
    const tagPairs: number[] = [];
    await load('posts', 'posts', POST_COLUMNS, postRows(demo, users, posts, publicUrl, tags.names, tagPairs), posts.n);
    await load('post_hashtags', 'post_hashtags', ['hashtag_id', 'post_id', 'created_at'], (function* () {
      for (let k = 0; k < tagPairs.length; k += 2) yield [tags.ids[tagPairs[k + 1]], posts.ids[tagPairs[k]], isoMs(posts.at[tagPairs[k]])];
    })(), tagPairs.length / 2);
    await load('likes', 'likes', LIKE_COLUMNS, likeRows(demo, users, posts), totalLikes(posts));
    const subscriptions = subscriptionRows(demo, users, follows);
    await load('subscriptions', 'subscriptions', SUBSCRIPTION_COLUMNS, subscriptions, subscriptions.length);
    const unlocks = unlockRows(demo, users, posts);
    await load('post_unlocks', 'post_unlocks', UNLOCK_COLUMNS, unlocks, unlocks.length);
    const mutes = muteRows(demo, users);
    await load('mutes', 'mutes', MUTE_COLUMNS, mutes, mutes.length);
    const earnings = earningsRows(demo, users, posts, subscriptions, unlocks, db.config.connect.feeBasisPoints);
    await load('earnings', 'earnings_entries', EARNINGS_COLUMNS, earnings, earnings.length);
    await step('earnings months', () => client.query(REBUILD_EARNINGS_MONTHS_SQL));
    const payoutAccounts = payoutAccountRows(demo, users);
    await load('payout_accounts', 'payout_accounts', PAYOUT_ACCOUNT_COLUMNS, payoutAccounts, payoutAccounts.length);
    await step('tiers', () => client.query(DEMO_TIERS_SQL, [users.ids[CREATOR]]));
    await step('offers and bundles', () => client.query(DEMO_OFFERS_SQL, [users.ids[CREATOR]]));

    const fixed = await step('counters', () => reconcileCounters(client));
    const rebuild = new Progress('indexes', saved.indexes.length + saved.constraints.length, 'indexes+constraints');
    await restoreAfterLoad(client, saved, () => rebuild.tick());
    timings.indexes = rebuild.finish();
    await step('commit', () => client.query('commit'));
    await step('vacuum analyze', () => client.query('vacuum (analyze) users, follows, posts, likes, post_hashtags, hashtags, subscriptions, post_unlocks, mutes, payout_accounts, earnings_entries, earnings_months'));

    const seconds = (Date.now() - started) / 1000;
    const count = (kind: number) => posts.kind.reduce((s, k) => s + (k === kind ? 1 : 0), 0);
    const premium = posts.premium.reduce((s, k) => s + (k ? 1 : 0), 0);
    const ppv = posts.premium.reduce((s, k) => s + (k === 2 ? 1 : 0), 0);
    const creatorSubscribers = subscriptions.filter((r) => r[2] === users.ids[CREATOR]).length;
    const report = [
      '',
      `Seeded in ${seconds.toFixed(1)} s (seed ${demo.seed}): ${formatCount(users.n)} users, ${formatCount(follows.count)} follows, ` +
        `${formatCount(posts.n)} posts (${formatCount(count(KIND_REPLY))} replies, ${formatCount(count(KIND_REPOST))} reposts, ` +
        `${formatCount(premium)} premium of which ${formatCount(ppv)} pay-per-view), ${formatCount(totalLikes(posts))} likes, ` +
        `${formatCount(tagPairs.length / 2)} hashtag uses, ${formatCount(subscriptions.length)} subscriptions, ${formatCount(unlocks.length)} unlocks, ` +
        `${mutes.length} mutes, ${payoutAccounts.length} creators onboarded to Stripe Connect (fake accounts), ${formatCount(earnings.length)} earnings entries of ${DEMO_ACCOUNTS.creator}. Counters corrected by the bulk SQL: ${fixed.users} users, ${fixed.posts} posts.`,
      '',
      'Demo accounts (every seeded account has the password below; they share one Argon2id hash of it):',
      `  ${DEMO_ACCOUNTS.creator.padEnd(18)} ${formatCount(users.followers[CREATOR])} followers, ${formatCount(creatorSubscribers)} active subscribers, ${users.posts[CREATOR]} posts`,
      `  ${DEMO_ACCOUNTS.viewer5k.padEnd(18)} follows ${formatCount(users.following[VIEWER_5K])} (the most followed accounts), subscribes to ${DEMO_ACCOUNTS.creator}`,
      `  ${DEMO_ACCOUNTS.viewer200.padEnd(18)} follows ${users.following[VIEWER_200]}`,
      `  password: ${DEMO_PASSWORD}`,
      '',
    ];
    if (users.followers[CREATOR] < 100_000) {
      report.push(`(With ${users.n} users the creator has every other account as follower, not 100,000; pass --users 100001 or more for that.)`, '');
    }
    process.stdout.write(report.join('\n'));
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
    await db.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nseed failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

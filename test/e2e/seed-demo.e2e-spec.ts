import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { renderContent } from '@/modules/posts/post-content';

const ROOT = join(__dirname, '..', '..');

/** Runs the seeder as `npm run seed:demo` would, on its own database next to the run's. */
function seed(url: string, extra: string[] = []): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'test/support/ts-register.js'), join(ROOT, 'scripts/seed-demo.ts'), '--database-url', url, '--users', '200', '--posts', '2000', ...extra],
      { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('scripts/seed-demo.ts', () => {
  const runUrl = new URL(process.env.DATABASE_URL!);
  const name = `${runUrl.pathname.slice(1)}_seed`;
  const url = Object.assign(new URL(runUrl.toString()), { pathname: `/${name}` }).toString();
  let admin: Client;
  let db: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: runUrl.toString() });
    await admin.connect();
    await admin.query(`create database ${name}`);
  });

  afterAll(async () => {
    await db?.end();
    if (!process.env.KEEP_TEST_DB) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('seeds a small demo whose counters match the rows', async () => {
    const result = await seed(url);
    expect(result.code).toBe(0);
    expect(result.output).toContain('demo_creator');
    db = new Client({ connectionString: url });
    await db.connect();
    const one = async (sql: string) => Number((await db.query(sql)).rows[0].n);

    expect(await one(`select count(*) as n from users`)).toBe(200);
    expect(await one(`select count(*) as n from posts`)).toBe(2000);
    expect(await one(`select count(*) as n from users u where followers_count <> (select count(*) from follows f where f.following_id = u.id)`)).toBe(0);
    expect(await one(`select count(*) as n from users u where following_count <> (select count(*) from follows f where f.follower_id = u.id)`)).toBe(0);
    expect(await one(`select count(*) as n from users u where posts_count <> (select count(*) from posts p where p.user_id = u.id and p.deleted_at is null)`)).toBe(0);
    expect(await one(`select count(*) as n from posts p where likes_count <> (select count(*) from likes l where l.post_id = p.id)`)).toBe(0);
    expect(await one(`select count(*) as n from posts p where replies_count <> (select count(*) from posts r where r.reply_to_id = p.id and r.deleted_at is null)`)).toBe(0);
    expect(await one(`select count(*) as n from posts p where retweets_count <> (select count(*) from posts r where r.repost_of_id = p.id and r.deleted_at is null)`)).toBe(0);
    expect(await one(`select count(*) as n from post_hashtags ph join posts p on p.id = ph.post_id where ph.created_at <> p.created_at`)).toBe(0);
    // The big creator is followed by everyone else (capped at the user count); the 200 viewer follows 200 minus one.
    expect(await one(`select followers_count as n from users where username = 'demo_creator'`)).toBe(199);
    expect(await one(`select following_count as n from users where username = 'demo_viewer_5k'`)).toBe(199);
    expect(await one(`select count(*) as n from posts where reply_to_id is not null and root_post_id is null`)).toBe(0);
    expect(await one(`select count(*) as n from posts where is_premium and price_cents is not null`)).toBeGreaterThan(0);
    expect(await one(`select count(*) as n from subscriptions s join users c on c.id = s.creator_id where c.username = 'demo_creator' and s.status = 'active'`)).toBe(40);
    // demo_creator has a year of earnings (GET /me/earnings shows it), and the monthly summary is the ledger's sums.
    const creatorMonths = `select count(*) as n from earnings_months m join users c on c.id = m.creator_id
      where c.username = 'demo_creator' and m.month >= date_trunc('month', now() at time zone 'UTC') - interval '11 months' and m.gross_cents > 0`;
    // (11 on the first day of a month: the data ends at the start of the current UTC day.)
    expect(await one(creatorMonths)).toBeGreaterThanOrEqual(11);
    expect(await one(`select count(*) as n from earnings_entries e join users c on c.id = e.creator_id where c.username = 'demo_creator' and e.kind = 'subscriber_ended'`)).toBeGreaterThan(0);
    const mismatched = `select count(*) as n from (select creator_id, sum(net_cents) as s, count(*) filter (where kind = 'unlock') as u from earnings_entries group by 1) e
      full join (select creator_id, sum(net_cents) as s, sum(unlocks) as u from earnings_months group by 1) m using (creator_id) where e.s <> m.s or e.u <> m.u or e.s is null or m.s is null`;
    expect(await one(mismatched)).toBe(0);
    const revenueDrift = `select count(*) as n
      from (select creator_id, currency, count(*) as c, sum(price_cents) as m from subscriptions where status in ('active', 'trialing') group by 1, 2) s
      full join subscription_revenue r using (creator_id, currency) where coalesce(s.c, 0) <> coalesce(r.subscribers, 0) or coalesce(s.m, 0) <> coalesce(r.monthly_cents, 0)`;
    expect(await one(revenueDrift)).toBe(0);
    // Tiers: demo_creator sells three, and every subscription is on its creator's first tier.
    expect(await one(`select count(*) as n from tiers t join users c on c.id = t.creator_id where c.username = 'demo_creator' and not t.archived`)).toBe(3);
    expect(await one(`select count(*) as n from subscriptions where tier_id is null`)).toBe(0);
    // Offers and bundles: demo_creator has WELCOME20 (20 % off once, new subscribers) and 3/6/12-month bundles.
    const offer = (await db.query(`select o.kind, o.percent_off, o.duration, o.audience, o.active, o.tier_ids, o.stripe_coupon_id from offers o
      join users c on c.id = o.creator_id where c.username = 'demo_creator' and o.code = 'WELCOME20'`)).rows;
    expect(offer).toEqual([{ kind: 'percent', percent_off: 20, duration: 'once', audience: 'new', active: true, tier_ids: null, stripe_coupon_id: null }]);
    const bundles = (await db.query(`select b.months, b.discount_percent from creator_bundles b join users c on c.id = b.creator_id
      where c.username = 'demo_creator' order by b.months`)).rows;
    expect(bundles).toEqual([{ months: 3, discount_percent: 10 }, { months: 6, discount_percent: 15 }, { months: 12, discount_percent: 25 }]);
    // Every creator with a price can take payments, as CONNECT_REQUIRED=true requires; demo_creator among them.
    expect(await one(`select count(*) as n from users u where subscription_price_cents is not null
      and not exists (select 1 from payout_accounts a where a.user_id = u.id and a.charges_enabled and a.deauthorized_at is null)`)).toBe(0);
    expect(await one(`select count(*) as n from payout_accounts a join users u on u.id = a.user_id where u.username = 'demo_creator' and a.stripe_account_id like 'acct_demo%'`)).toBe(1);
    // Every index and constraint dropped for the load is back: the same schema objects as the run's migrated database.
    const schema = `select (select string_agg(indexdef, ';' order by indexname) from pg_indexes where schemaname = 'public')
      || (select string_agg(conname || pg_get_constraintdef(oid), ';' order by conname) from pg_constraint where connamespace = 'public'::regnamespace) as s`;
    expect((await db.query(schema)).rows[0].s).toBe((await admin.query(schema)).rows[0].s);

    const { rows } = await db.query(`select content, content_html from posts where repost_of_id is null order by id limit 300`);
    const users = new Map((await db.query(`select username from users`)).rows.map((r) => [r.username.toLowerCase(), r.username]));
    for (const row of rows) expect(row.content_html).toBe(renderContent(row.content, { publicUrl: 'http://localhost:3000', users }));
  });

  it('refuses a database that already has users, unless --reset', async () => {
    const refused = await seed(url);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('--reset');
    const reset = await seed(url, ['--reset', '--seed', '7']);
    expect(reset.code).toBe(0);
    expect(Number((await db.query(`select count(*) as n from users`)).rows[0].n)).toBe(200);
  });
});

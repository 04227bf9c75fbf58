import Redis from 'ioredis';
import { Actor, drive, MixedWorkload, summarize } from '../load/workload';
import { redisClients } from '../load/probes';
import { createSignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { HttpClient } from '../support/http-client';
import { RedisServer, redisServerAvailable } from '../support/redis-server';
import { drained, waitFor } from '../support/wait';

/**
 * The load test's mixed workload (`npm run load`), CI-sized and in-process: a fixed number of requests on 16
 * connections. Asserts counts, not timings: no 5xx, every answer 2xx, no PostgreSQL connection or Redis client
 * left over, and every like and follow notified exactly once.
 */
const REQUESTS = 600;
const CONNECTIONS = 16;
const WEBHOOK_SECRET = 'whsec_load_smoke';
const LIMIT = '100000000/1h';

describe('Mixed load, CI-sized', () => {
  let redisServer: RedisServer | undefined;
  let client: HttpClient;
  let redis: Redis;

  beforeAll(async () => {
    // A private Redis, when there is one, so that its client count is this app's alone.
    redisServer = redisServerAvailable() ? await RedisServer.start() : undefined;
  });
  const t = useTestApp({
    env: () => ({
      ...(redisServer ? { REDIS_URL: redisServer.url } : {}),
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      RATE_LIMIT_POST_CREATE: LIMIT,
      RATE_LIMIT_LOGIN_IP: LIMIT,
      RATE_LIMIT_LOGIN_ACCOUNT: LIMIT,
    }),
  });
  beforeAll(async () => {
    client = new HttpClient(await t.listen(), '127.0.0.1', CONNECTIONS);
    redis = new Redis(t.config.redis.url, { maxRetriesPerRequest: 1 });
  });
  // Declared after the app, so run after it closed (Jest runs hooks in declaration order).
  afterAll(async () => {
    client?.close();
    redis?.disconnect();
    await redisServer?.stop();
  });

  it('answers every request of the mix with 2xx, leaks no connection, and notifies each like and follow once', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => createSignedInUser(t)));
    const actors: Actor[] = users.map((u) => ({ id: u.id, username: u.username, accessToken: u.accessToken }));
    const webhooks = (await client.send({ method: 'GET', path: '/docs-json' })).text.includes('/api/v1/webhooks/stripe');
    const workload = new MixedWorkload(client, actors, { webhookSecret: webhooks ? WEBHOOK_SECRET : undefined, timeoutMs: 30_000 });
    await workload.seed();
    let warm = 0;
    await drive(workload, { concurrency: CONNECTIONS, while: () => warm++ < CONNECTIONS * 4 });
    await drained(t);
    // The app's connections (application_name `x18-<role>`) to the run's database, this query's own included.
    const pgCount = async () =>
      ((await t.em().execute(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'x18-%'`)) as {
        n: number;
      }[])[0].n;
    const before = { redis: await redisClients(redis) };

    let started = 0;
    await drive(workload, { concurrency: CONNECTIONS, while: () => started++ < REQUESTS });
    const summary = summarize(workload.outcomes);
    expect({ serverErrors: summary.serverErrors, noAnswer: summary.noAnswer }).toEqual({ serverErrors: 0, noAnswer: 0 });
    expect(workload.outcomes.filter((o) => o.status < 200 || o.status >= 300)).toEqual([]);
    expect(summary.requests).toBeGreaterThanOrEqual(REQUESTS);

    // Settled: the queues drained; the app holds at most its pool and exactly the Redis clients it held before.
    await drained(t);
    expect(await pgCount()).toBeLessThanOrEqual(t.config.database.poolMax);
    if (redisServer) expect(await redisClients(redis)).toBe(before.redis);

    const expected = new Map<string, number>();
    for (const key of workload.likes) expected.set(`${workload.posts.get(key.split(':')[1])}:like`, (expected.get(`${workload.posts.get(key.split(':')[1])}:like`) ?? 0) + 1);
    for (const key of workload.follows) expected.set(`${key.split(':')[1]}:follow`, (expected.get(`${key.split(':')[1]}:follow`) ?? 0) + 1);
    const delivered = async () =>
      Object.fromEntries(
        (
          (await t.em().execute(`select user_id || ':' || type as key, count(*)::int as n from notifications where user_id in (?) group by 1`, [
            actors.map((a) => a.id),
          ])) as { key: string; n: number }[]
        ).map((r) => [r.key, r.n]),
      );
    const want = Object.fromEntries(expected);
    expect(await waitFor(delivered, (got) => JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort()), 20_000, 200)).toEqual(want);
  }, 120_000);
});

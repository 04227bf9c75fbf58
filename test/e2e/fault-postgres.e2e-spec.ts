import { Client } from 'pg';
import { Actor, drive, MixedWorkload, Outcome } from '../load/workload';
import { createSignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { HttpClient } from '../support/http-client';
import { waitFor } from '../support/wait';

/**
 * PostgreSQL drops every connection of the database (as a failover or an admin's `pg_terminate_backend` does) while
 * requests run. Requests in the way fail cleanly, `503 service_unavailable` as problem+json, or succeed: never a 500,
 * never a hang. The pool replaces the dead connections by itself, without a restart.
 */
const KILLS = 4;
const ACTIONS_BETWEEN_KILLS = 40;

describe('PostgreSQL connections terminated mid-traffic', () => {
  const t = useTestApp({ env: { RATE_LIMIT_POST_CREATE: '100000/1h' } });
  let client: HttpClient;
  let admin: Client;

  beforeAll(async () => {
    client = new HttpClient(await t.listen());
    admin = new Client({ connectionString: process.env.DATABASE_URL, application_name: 'x18-test-admin' });
    admin.on('error', (error) => console.error(`admin connection: ${error.message}`));
    await admin.connect();
  });

  afterAll(async () => {
    client?.close();
    await admin?.end();
  });

  /** Ends every other connection to the run's database: the app's pool, its workers' and the outbox relay's. */
  async function terminateAll(): Promise<number[]> {
    const { rows } = await admin.query<{ pid: number; terminated: boolean }>(
      'select pid, pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return rows.filter((r) => r.terminated).map((r) => r.pid);
  }

  const isClean = (o: Outcome) => (o.status >= 200 && o.status < 300) || (o.status === 503 && o.code === 'service_unavailable' && o.problem === true);

  it('answers 503 or succeeds while connections are killed, and serves everything again afterwards without a restart', async () => {
    const actors: Actor[] = (await Promise.all(Array.from({ length: 6 }, () => createSignedInUser(t)))).map((u) => ({
      id: u.id,
      username: u.username,
      accessToken: u.accessToken,
    }));
    const workload = new MixedWorkload(client, actors, { timeoutMs: 20_000 });
    await workload.seed();

    const killed: number[] = [];
    let kills = 0;
    let started = 0;
    let killing: Promise<void> = Promise.resolve();
    await drive(workload, {
      concurrency: 6,
      while: () => started++ < KILLS * ACTIONS_BETWEEN_KILLS + 20,
      after: (_, index) => {
        if (kills < KILLS && index === (kills + 1) * ACTIONS_BETWEEN_KILLS) {
          kills++;
          killing = killing.then(async () => void killed.push(...(await terminateAll())));
        }
      },
    });
    await killing;
    expect(kills).toBe(KILLS);
    expect(killed.length).toBeGreaterThanOrEqual(KILLS);

    const during = workload.outcomes.slice();
    // Never a 500, never a hang (a request without an answer in 20 s is status 0 here).
    expect(during.filter((o) => !isClean(o))).toEqual([]);

    // The killed backends are gone; the pool opens new connections as requests need them.
    await waitFor(
      async () => (await admin.query('select count(*)::int as n from pg_stat_activity where pid = any($1)', [killed])).rows[0].n as number,
      (n) => n === 0,
    );
    const before = workload.outcomes.length;
    let more = 0;
    await drive(workload, { concurrency: 6, while: () => more++ < 120 });
    const after = workload.outcomes.slice(before);
    expect(after.filter((o) => !(o.status >= 200 && o.status < 300))).toEqual([]);

    // No connection leaked by the failures: the app holds at most its pool (DATABASE_POOL_MAX).
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'x18-%' and pid <> pg_backend_pid() and application_name <> 'x18-test-admin'`,
    );
    expect(rows[0].n).toBeLessThanOrEqual(t.config.database.poolMax);
  }, 120_000);
});

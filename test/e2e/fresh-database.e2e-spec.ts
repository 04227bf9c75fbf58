import { Client } from 'pg';
import { startWorkerProcess, untilRunning, WorkerProcess } from '../support/worker-process';

/**
 * Workers started on an empty database, before (or while) anyone migrates it: each waits for the schema behind the
 * migration lock, and none of them polls a table that does not exist yet ("relation … does not exist").
 */
describe('Workers on a fresh database', () => {
  const database = `${process.env.DATABASE_URL!.split('/').pop()!.split('?')[0]}_fresh`;
  const url = Object.assign(new URL(process.env.DATABASE_URL!), { pathname: `/${database}` }).toString();
  const admin = () => Object.assign(new URL(process.env.DATABASE_URL!), { pathname: '/postgres' }).toString();
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    const client = new Client({ connectionString: admin() });
    await client.connect();
    await client.query(`create database ${database}`);
    await client.end();
  });

  afterAll(async () => {
    await Promise.all(
      workers.map(async (w) => {
        if (w.child.exitCode === null) w.child.kill('SIGKILL');
        await w.exited;
      }),
    );
    const client = new Client({ connectionString: admin() });
    await client.connect();
    await client.query(`drop database if exists ${database} with (force)`);
    await client.end();
  });

  it('migrate once under the lock, then start without a single "does not exist" error', async () => {
    // Two at once: one migrates, the other waits on the lock and finds the schema in place.
    workers.push(startWorkerProcess({ DATABASE_URL: url }), startWorkerProcess({ DATABASE_URL: url }));
    await Promise.all(workers.map((w) => untilRunning(w, 60_000)));
    // Let the relay, sweeps and processors poll a few times.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const w of workers) {
      expect(w.output()).not.toMatch(/does not exist/);
      expect(w.output()).not.toMatch(/"level":"error"/);
    }
    const migrated = workers.filter((w) => /"msg":"applied \d+: /.test(w.output()));
    expect(migrated).toHaveLength(1);
    for (const w of workers) {
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    }
  }, 120_000);
});

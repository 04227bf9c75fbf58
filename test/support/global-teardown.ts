import { rm } from 'node:fs/promises';
import Redis from 'ioredis';
import { Client } from 'pg';
import { TestRun } from './test-env';

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis gone at the end of a run leaves nothing of ours to clean.
  } finally {
    redis.disconnect();
  }
}

/** Drops the run's database, Redis keys and data folder (KEEP_TEST_DB=1 keeps the database for a look). */
export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__X18_TEST_RUN__ as
    | { run: TestRun; stopServer?: () => Promise<void> }
    | undefined;
  if (!state) return;
  const { run, stopServer } = state;
  await deleteRedisKeys(run.redisPrefix);
  await rm(run.dataDir, { recursive: true, force: true });
  if (process.env.KEEP_TEST_DB !== '1') {
    const admin = new Client({ connectionString: run.adminUrl });
    await admin.connect();
    // The suites' own copies (test/support/setup-env.ts), then the migrated template they were made from.
    const { rows } = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [
      `${run.databaseName}\\_%`,
    ]);
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.query(`drop database if exists ${run.databaseName} with (force)`);
    await admin.end();
  } else {
    console.log(`kept test database ${run.databaseName}`);
  }
  await stopServer?.();
}

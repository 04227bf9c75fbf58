import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one test run shares across its suites: its own database, Redis prefix and data folder. */
export interface TestRun {
  runId: string;
  databaseName: string;
  adminUrl: string;
  databaseUrl: string;
  redisPrefix: string;
  dataDir: string;
}

export function newTestRun(adminUrl: string): TestRun {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const databaseName = `x18_test_${runId}`;
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return {
    runId,
    databaseName,
    adminUrl,
    databaseUrl: url.toString(),
    redisPrefix: `x18test:${runId}`,
    dataDir: join(tmpdir(), `x18-test-${runId}`),
  };
}

/** The environment every suite of the run sees (and the in-process app reads through loadConfig). */
export function testEnvironment(run: TestRun): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: run.databaseUrl,
    DATABASE_POOL_MAX: '10',
    REDIS_PREFIX: run.redisPrefix,
    DATA_DIR: run.dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    X18_TEST_RUN: run.runId,
    // Where suites create their own copy of the run's database (test/support/setup-env.ts).
    X18_TEST_ADMIN_URL: run.adminUrl,
    // Platform-collects mode: suites that set prices without being about payouts need no connected account. The
    // billing and payouts suites run in both modes (docs/testing.md).
    CONNECT_REQUIRED: 'false',
  };
}

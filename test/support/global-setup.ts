import './register-alias';
import 'reflect-metadata';
import { Client } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../../src/common/config/load-config';
import { canConnect, startEmbeddedPostgres } from '../../src/common/database/embedded-postgres';
import { migrateUnderLock } from '../../src/common/database/migrate';
import { buildOrmOptions } from '../../src/common/database/orm-options';
import { newTestRun, testEnvironment, TestRun } from './test-env';

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const reachable = (url: string) => canConnect(url, 2000);

/** The server that hosts the run's database: TEST_DATABASE_URL, else local PostgreSQL, else an embedded one. */
async function adminUrl(): Promise<{ url: string; stop?: () => Promise<void> }> {
  const configured = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
  if (await reachable(configured)) return { url: configured };
  if (process.env.TEST_DATABASE_URL) throw new Error(`TEST_DATABASE_URL is not reachable: ${configured}`);
  console.log(`\nno PostgreSQL at ${configured}; starting an embedded one for the tests`);
  const embedded = await startEmbeddedPostgres(`${process.cwd()}/.data/test`, 54339);
  const url = new URL(embedded.url);
  url.pathname = '/postgres';
  return { url: url.toString(), stop: embedded.stop };
}

export default async function globalSetup(): Promise<void> {
  const server = await adminUrl();
  const run: TestRun = newTestRun(server.url);
  const admin = new Client({ connectionString: run.adminUrl });
  await admin.connect();
  await admin.query(`create database ${run.databaseName}`);
  await admin.end();

  Object.assign(process.env, testEnvironment(run));
  const orm = await MikroORM.init(buildOrmOptions(loadConfig(), run.databaseUrl));
  try {
    await migrateUnderLock(orm);
  } finally {
    await orm.close();
  }
  // MikroORM keeps its metadata on globalThis; Jest hands these keys to the suites' sandboxes, where the
  // foreign-realm Maps break discovery. Each suite discovers its own.
  for (const key of Object.keys(globalThis)) {
    if (key.startsWith('mikro-orm-')) delete (globalThis as Record<string, unknown>)[key];
  }
  (globalThis as Record<string, unknown>).__X18_TEST_RUN__ = { run, stopServer: server.stop };
}

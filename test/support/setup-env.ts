import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

// Suites inherit the run's environment from globalSetup; this file pins what every suite expects and gives the suite
// a database and Redis prefix of its own.
process.env.NODE_ENV = 'test';
// Jest's per-project `testTimeout` is not honoured in multi-project mode: set it here. Generous, because hooks boot
// apps and servers and a loaded 2-core machine is slow at that; no test asserts on time through it.
jest.setTimeout(60_000);

/**
 * Each suite works in its own copy of the run's migrated database (`CREATE DATABASE … TEMPLATE`, a file copy of a few
 * MB), under its own Redis prefix and in its own data folder (media, mail files) inside the run's. A suite's app therefore relays, re-sends and processes only its own outbox
 * events: with one shared database an app booted late in the run would also work through every earlier suite's
 * leftovers, which made timings depend on the order of the files. Synchronous because the test file's module body,
 * which runs next, may read `DATABASE_URL` at load time. The run's teardown drops every suite database.
 */
function useSuiteDatabase(): void {
  const runUrl = process.env.DATABASE_URL;
  if (!runUrl || !process.env.X18_TEST_RUN) return;
  const suite = `s${randomBytes(4).toString('hex')}`;
  const template = new URL(runUrl).pathname.slice(1);
  const database = `${template}_${suite}`;
  const script = `
    const { Client } = require('pg');
    const admin = new Client({ connectionString: process.argv[1] });
    admin.connect()
      .then(() => admin.query('create database "' + process.argv[3] + '" template "' + process.argv[2] + '"'))
      .then(() => admin.end(), (error) => { console.error(error.message); process.exit(1); });`;
  execFileSync(process.execPath, ['-e', script, process.env.X18_TEST_ADMIN_URL ?? runUrl, template, database], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.env.DATABASE_URL = Object.assign(new URL(runUrl), { pathname: `/${database}` }).toString();
  process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}:${suite}`;
  if (process.env.DATA_DIR) process.env.DATA_DIR = `${process.env.DATA_DIR}/${suite}`;
}

useSuiteDatabase();

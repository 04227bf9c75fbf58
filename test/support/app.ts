import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { createHttpApp, prepareDatabase } from '../../src/bootstrap';
import { AppConfig } from '../../src/common/config/app-config';
import { loadConfig } from '../../src/common/config/load-config';
import { createPino } from '../../src/common/logging/logger';
import { openApiDocumentOf } from '../../src/common/openapi/openapi.document';
import { BOOT_TIMEOUT_MS, CLOSE_TIMEOUT_MS, LEFTOVER_TIMEOUT_MS } from './app-timeouts';
import { lateBound } from './late-bound';
import { closed, tracked } from './leftover-apps';
import { ContractRecorder } from './openapi-contract';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: TestAgent;
  orm: MikroORM;
  /** A fresh entity manager, for arranging and checking data directly. */
  em(): EntityManager;
  /** Raw SQL on a fresh entity manager (`?` placeholders), answering the rows. */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  /**
   * What the app answered that its OpenAPI document does not describe (see `openapi-contract.ts`). `useTestApp`
   * checks it after every test; `contract.observe` checks answers of another process against the same document.
   */
  contract: ContractRecorder;
  /** Listens on a free loopback port, for clients that need a real socket (raw HTTP, a browser); answers the port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/** Variables for one app; a function when they depend on something the suite starts first (a server's URL). */
export type TestAppEnv = Record<string, string> | (() => Record<string, string>);

export interface TestAppOptions {
  env?: TestAppEnv;
  /**
   * A Redis prefix of the suite's own (`<run prefix>:<scope>`): its rate-limit counters, session cache and queues
   * are nobody else's, so what other files do cannot spend its limits.
   */
  redisScope?: string;
}

async function closeWithin(app: NestFastifyApplication, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<'overrun'>((resolve) => {
    timer = setTimeout(() => resolve('overrun'), ms);
  });
  const outcome = await Promise.race([app.close().then(() => 'closed' as const), overrun]);
  clearTimeout(timer);
  if (outcome === 'overrun') console.warn(`test app did not close within ${ms} ms; continuing`);
}

function resolveEnv(options: TestAppOptions): Record<string, string> {
  const env = typeof options.env === 'function' ? options.env() : (options.env ?? {});
  return options.redisScope ? { REDIS_PREFIX: `${process.env.REDIS_PREFIX}:${options.redisScope}`, ...env } : env;
}

/**
 * Boots the real application in-process on the run's database and Redis prefix. `env` overrides variables. The app
 * is tracked until closed, so one whose boot outlived its hook is still closed (test/support/leftover-apps.ts).
 */
export function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  return tracked(boot(env));
}

async function boot(env: Record<string, string>): Promise<TestApp> {
  const config = loadConfig({ ...process.env, ...env });
  const contract = new ContractRecorder();
  const app = await createHttpApp(config, config.database.url!, createPino(config.logLevel), { instrument: (fastify) => contract.install(fastify) });
  try {
    await prepareDatabase(app, config);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const document = openApiDocumentOf(app);
    if (!document) throw new Error('the app made no OpenAPI document');
    contract.arm(document);
  } catch (error) {
    // Half booted, it already holds the pool and the Redis clients: nobody else will close it.
    await closeWithin(app, CLOSE_TIMEOUT_MS).catch(() => undefined);
    throw error;
  }
  const orm = app.get(MikroORM) as unknown as MikroORM;
  let closing: Promise<void> | undefined;
  const handle: TestApp = {
    app,
    config,
    contract,
    http: request(app.getHttpServer()),
    orm,
    em: () => orm.em.fork(),
    sql: <T>(query: string, params: unknown[] = []) => orm.em.fork().execute(query, params) as Promise<T[]>,
    listen: async () => {
      await app.listen(0, '127.0.0.1');
      return (app.getHttpServer().address() as AddressInfo).port;
    },
    // Once, however many hooks ask (the suite's own, then the leftover sweep).
    close: () =>
      (closing ??= (async () => {
        await closeWithin(app, CLOSE_TIMEOUT_MS);
        closed(handle);
        // What `beforeAll`/`afterAll` hooks and tests without `useTestApp` received is checked here.
        contract.assertClean();
      })()),
  };
  return handle;
}

/**
 * One app for the enclosing `describe`: booted in `beforeAll`, closed in `afterAll`. The handle is usable inside
 * hooks and tests (not at collection time). Jest runs hooks in the order they are declared, so a server the app's
 * env points at is started in a `beforeAll` declared above this call and stopped in an `afterAll` declared below it.
 */
export function useTestApp(options: TestAppOptions = {}): TestApp {
  let current: TestApp | undefined;
  let booting: Promise<TestApp> | undefined;
  beforeAll(async () => {
    booting = createTestApp(resolveEnv(options));
    current = await booting;
  }, BOOT_TIMEOUT_MS);
  // Every answer a test received must be one the OpenAPI document describes (test/support/openapi-contract.ts).
  afterEach(() => current?.contract.assertClean());
  // The boot, not `current`: when `beforeAll` timed out the boot goes on, and its app must close here, before the
  // servers its env points at stop in the hooks below (test/support/leftover-apps.ts).
  afterAll(async () => {
    const boot = booting;
    booting = undefined;
    current = undefined;
    const app = await boot?.catch(() => undefined);
    current = undefined; // the timed-out beforeAll, resuming with the boot, may have set it again
    await app?.close();
  }, LEFTOVER_TIMEOUT_MS);
  return lateBound(() => current, 'the test app');
}

/** A second app for one test (other settings, Redis down…), closed however the test ends. */
export async function withTestApp<T>(options: TestAppOptions, use: (t: TestApp) => Promise<T>): Promise<T> {
  const t = await createTestApp(resolveEnv(options));
  let result: T;
  try {
    result = await use(t);
  } catch (error) {
    // The test's own failure says more than a contract violation it may have caused on the way.
    await t.close().catch(() => undefined);
    throw error;
  }
  await t.close();
  return result;
}

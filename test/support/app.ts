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
import { lateBound } from './late-bound';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: TestAgent;
  orm: MikroORM;
  /** A fresh entity manager, for arranging and checking data directly. */
  em(): EntityManager;
  /** Raw SQL on a fresh entity manager (`?` placeholders), answering the rows. */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
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

/**
 * On a loaded 2-core machine an app's close (BullMQ workers finishing their blocking calls, pools draining) has
 * been seen to take longer than a Jest hook may. A close that overruns is reported, not failed: the run's
 * teardown drops the database and Jest exits.
 */
const CLOSE_TIMEOUT_MS = 20_000;

async function closeWithin(app: NestFastifyApplication, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<'overrun'>((resolve) => {
    timer = setTimeout(() => resolve('overrun'), ms);
  });
  const outcome = await Promise.race([app.close().then(() => 'closed' as const), overrun]);
  clearTimeout(timer);
  if (outcome === 'overrun') console.warn(`test app did not close within ${ms} ms; continuing`);
}

/**
 * Booting an app (Nest's module graph, the ORM's discovery, BullMQ workers connecting) takes 1-3 s on an idle 2-core
 * machine but has been seen above 30 s under heavy load; a slow boot is not what any suite tests.
 */
export const BOOT_TIMEOUT_MS = 90_000;

function resolveEnv(options: TestAppOptions): Record<string, string> {
  const env = typeof options.env === 'function' ? options.env() : (options.env ?? {});
  return options.redisScope ? { REDIS_PREFIX: `${process.env.REDIS_PREFIX}:${options.redisScope}`, ...env } : env;
}

/** Boots the real application in-process on the run's database and Redis prefix. `env` overrides variables. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ ...process.env, ...env });
  const app = await createHttpApp(config, config.database.url!, createPino(config.logLevel));
  await prepareDatabase(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const orm = app.get(MikroORM) as unknown as MikroORM;
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    orm,
    em: () => orm.em.fork(),
    sql: <T>(query: string, params: unknown[] = []) => orm.em.fork().execute(query, params) as Promise<T[]>,
    listen: async () => {
      await app.listen(0, '127.0.0.1');
      return (app.getHttpServer().address() as AddressInfo).port;
    },
    close: () => closeWithin(app, CLOSE_TIMEOUT_MS),
  };
}

/**
 * One app for the enclosing `describe`: booted in `beforeAll`, closed in `afterAll`. The handle is usable inside
 * hooks and tests (not at collection time). Jest runs hooks in the order they are declared, so a server the app's
 * env points at is started in a `beforeAll` declared above this call and stopped in an `afterAll` declared below it.
 */
export function useTestApp(options: TestAppOptions = {}): TestApp {
  let current: TestApp | undefined;
  beforeAll(async () => {
    current = await createTestApp(resolveEnv(options));
  }, BOOT_TIMEOUT_MS);
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return lateBound(() => current, 'the test app');
}

/** A second app for one test (other settings, Redis down…), closed however the test ends. */
export async function withTestApp<T>(options: TestAppOptions, use: (t: TestApp) => Promise<T>): Promise<T> {
  const t = await createTestApp(resolveEnv(options));
  try {
    return await use(t);
  } finally {
    await t.close();
  }
}

import 'reflect-metadata';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { createHttpApp, prepareDatabase } from '../../src/bootstrap';
import { AppConfig } from '../../src/common/config/app-config';
import { loadConfig } from '../../src/common/config/load-config';
import { createPino } from '../../src/common/logging/logger';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: TestAgent;
  orm: MikroORM;
  /** A fresh entity manager, for arranging and checking data directly. */
  em(): EntityManager;
  close(): Promise<void>;
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
    close: () => closeWithin(app, CLOSE_TIMEOUT_MS),
  };
}

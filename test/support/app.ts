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
    close: () => app.close(),
  };
}

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from './common/config/app-config';
import { ConfigError, loadConfig } from './common/config/load-config';
import { assertRedisReachable, RedisUnavailableError } from './common/redis/redis.factory';
import { createPino, logDestination, PinoNestLogger } from './common/logging/logger';
import { bootstrapLogger, createApp, resolveDatabase } from './bootstrap';

/** Until the configuration names a level: start-up failures are logged through pino too, at `info`. */
let pino = createPino('info', logDestination());

/** One fatal line, then exit: what went wrong and what to do, without a stack trace for expected failures. */
function fail(message: string, error?: unknown): never {
  pino.fatal(process.env.LOG_LEVEL === 'debug' && error instanceof Error ? { err: error } : {}, message);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`);
    throw error;
  }
  pino = createPino(config.logLevel, logDestination(config.env));
  Logger.overrideLogger(new PinoNestLogger(pino));

  try {
    await assertRedisReachable(config);
  } catch (error) {
    if (error instanceof RedisUnavailableError) fail(error.message);
    throw error;
  }

  const database = await resolveDatabase(config);
  const app = await createApp(config, database.url, pino);
  if (config.runsApi) {
    await (app as NestFastifyApplication).listen(config.http.port, config.http.host);
    bootstrapLogger.log(`listening on http://${config.http.host}:${config.http.port} as ${config.role} (docs at /docs)`);
  } else {
    await app.init();
    bootstrapLogger.log('running as worker');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    bootstrapLogger.log(`${signal}: finishing in-flight requests and jobs`);
    const force = setTimeout(() => {
      bootstrapLogger.error(`shutdown took longer than ${config.http.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    force.unref();
    try {
      await app.close();
      await database.stop();
    } finally {
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // From here the shutdown above stops the embedded PostgreSQL, after the app: its own signal hooks would race it.
  database.releaseSignals();
}

main().catch((error: unknown) => fail(`start-up failed: ${error instanceof Error ? error.message : String(error)}`, error));

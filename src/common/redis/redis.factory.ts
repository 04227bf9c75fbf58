import { Logger } from '@nestjs/common';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';

export type RedisClient = Redis | Cluster;

/** Connection options shared by our clients and BullMQ's (which needs `maxRetriesPerRequest: null`). */
export function redisOptions(config: AppConfig, overrides: RedisOptions = {}): RedisOptions {
  if (config.redis.clusterNodes.length) return { ...overrides };
  const url = new URL(config.redis.url);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    ...overrides,
  };
}

/** One client, to a single Redis or (with `REDIS_CLUSTER_NODES`) a cluster. Errors are logged once per outage. */
export function createRedisClient(config: AppConfig, name: string, overrides: RedisOptions = {}): RedisClient {
  const options = redisOptions(config, { connectionName: `x18-${name}`, ...overrides });
  const client = config.redis.clusterNodes.length
    ? new Cluster(config.redis.clusterNodes, { redisOptions: options })
    : new Redis(options);
  watchConnection(client, name);
  return client;
}

export function watchConnection(client: RedisClient, name: string): void {
  const logger = new Logger('Redis');
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`${name}: connection lost (${error.message}); retrying in the background`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log(`${name}: connection restored`);
  });
}

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** Fails start-up with one actionable line when Redis is not there, instead of an endless reconnect loop. */
export async function assertRedisReachable(config: AppConfig, timeoutMs = 3000): Promise<void> {
  const target = config.redis.clusterNodes.length
    ? config.redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')
    : config.redis.url.replace(/\/\/[^@]*@/, '//');
  const client = config.redis.clusterNodes.length
    ? new Cluster(config.redis.clusterNodes, {
        lazyConnect: true,
        clusterRetryStrategy: () => null,
        redisOptions: { connectTimeout: timeoutMs, maxRetriesPerRequest: 0 },
      })
    : new Redis(redisOptions(config, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null }));
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new RedisUnavailableError(
      `Redis is not reachable at ${target} (${(error as Error).message || 'no answer'}). ` +
        'Start one with `redis-server --daemonize yes` (or `docker run -d -p 127.0.0.1:6379:6379 redis:7`), or set REDIS_URL.',
    );
  } finally {
    client.disconnect();
  }
}

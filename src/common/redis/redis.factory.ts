import { Logger } from '@nestjs/common';
import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';

export type RedisClient = Redis | Cluster;

/** The longest wait between two reconnection attempts. */
export const RECONNECT_MAX_DELAY_MS = 1000;

/**
 * Reconnection back-off: 100 ms, 200 ms, … capped at 1 s, for ever. A Redis that comes back is found again within
 * about a second; BullMQ's own default (e^attempts, up to 20 s) left workers idle for up to 20 s after an outage.
 */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * attempt, RECONNECT_MAX_DELAY_MS);
}

/**
 * Connection options of one Redis server, from `REDIS_URL`. With `REDIS_CLUSTER_NODES` the same options serve every
 * cluster node, minus the address and database (a cluster has only database 0): `REDIS_URL` then only carries the
 * credentials and TLS (`rediss://`) the nodes share.
 */
export function redisOptions(config: AppConfig, overrides: RedisOptions = {}): RedisOptions {
  const url = new URL(config.redis.url);
  const credentials: RedisOptions = {
    retryStrategy: reconnectDelay,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
  if (isClusterMode(config)) return { ...credentials, ...overrides };
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    ...credentials,
    ...overrides,
  };
}

export function isClusterMode(config: AppConfig): boolean {
  return config.redis.clusterNodes.length > 0;
}

/**
 * A Cluster client. `enableOfflineQueue` is a cluster-level setting here: node connections are opened lazily, and a
 * node client without its offline queue would refuse the very first command it is given.
 */
function createCluster(config: AppConfig, overrides: RedisOptions, clusterOverrides: ClusterOptions = {}): Cluster {
  const { enableOfflineQueue, ...nodeOverrides } = overrides;
  return new Cluster(config.redis.clusterNodes, {
    redisOptions: redisOptions(config, nodeOverrides),
    enableOfflineQueue: enableOfflineQueue ?? true,
    // While a failover moves slots, retry instead of failing the command at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    clusterRetryStrategy: reconnectDelay,
    ...clusterOverrides,
  });
}

/** One client, to a single Redis or (with `REDIS_CLUSTER_NODES`) a cluster. Errors are logged once per outage. */
export function createRedisClient(config: AppConfig, name: string, overrides: RedisOptions = {}): RedisClient {
  const options = { connectionName: `x18-${name}`, ...overrides };
  const client = isClusterMode(config) ? createCluster(config, options) : new Redis(redisOptions(config, options));
  watchConnection(client, name);
  return client;
}

/**
 * BullMQ's connection. A single Redis: options, and BullMQ opens its own clients. A cluster: a `Cluster` instance
 * (BullMQ cannot build one from options), shared by every queue and worker and duplicated for blocking reads;
 * whoever creates it closes it (`QueueModule`). Blocking commands need `maxRetriesPerRequest: null`.
 */
export function createBullConnection(config: AppConfig): RedisOptions | Cluster {
  const options: RedisOptions = { maxRetriesPerRequest: null, connectionName: `x18-bullmq-${config.role}` };
  if (!isClusterMode(config)) return redisOptions(config, options);
  const cluster = createCluster(config, options);
  watchConnection(cluster, 'bullmq');
  return cluster;
}

/**
 * BullMQ's key prefix. In a cluster it must hold a `{hash tag}` so that each queue's keys (which BullMQ's Lua
 * scripts touch together) land in one slot: `{<REDIS_PREFIX>}:bull`. Our other keys carry no common tag and spread
 * over every shard.
 */
export function bullPrefix(config: AppConfig): string {
  return isClusterMode(config) ? `{${config.redis.prefix}}:bull` : `${config.redis.prefix}:bull`;
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
  const target = isClusterMode(config)
    ? config.redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')
    : config.redis.url.replace(/\/\/[^@]*@/, '//');
  const probe = { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0 };
  const client = isClusterMode(config)
    ? createCluster(config, probe, { lazyConnect: true, clusterRetryStrategy: () => null })
    : new Redis(redisOptions(config, { ...probe, retryStrategy: () => null }));
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new RedisUnavailableError(
      `Redis is not reachable at ${target} (${(error as Error).message || 'no answer'}). ` +
        (isClusterMode(config)
          ? 'Check REDIS_CLUSTER_NODES (any reachable node is enough), or start the local cluster with `npm run cluster:up`.'
          : 'Start one with `redis-server --daemonize yes` (or `docker run -d -p 127.0.0.1:6379:6379 redis:7`), or set REDIS_URL.'),
    );
  } finally {
    client.disconnect();
  }
}

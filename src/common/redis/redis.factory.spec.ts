import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config';
import { bullPrefix, createBullConnection, reconnectDelay, RECONNECT_MAX_DELAY_MS, redisOptions } from './redis.factory';

const config = (env: Record<string, string>) => loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'x18-redis-')), ...env });
const CLUSTER = { REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1:7002' };

describe('Redis connection settings', () => {
  it('gives BullMQ a hash-tagged prefix in a cluster, so each queue stays in one slot, and the plain one otherwise', () => {
    expect(bullPrefix(config({ REDIS_PREFIX: 'x18' }))).toBe('x18:bull');
    expect(bullPrefix(config({ REDIS_PREFIX: 'x18', ...CLUSTER }))).toBe('{x18}:bull');
  });

  it('reads a single server from REDIS_URL', () => {
    expect(redisOptions(config({ REDIS_URL: 'rediss://u:p%40ss@cache:6380/2' }))).toMatchObject({
      host: 'cache',
      port: 6380,
      db: 2,
      username: 'u',
      password: 'p@ss',
      tls: {},
    });
  });

  it('keeps only the credentials and TLS of REDIS_URL for cluster nodes (addresses come from REDIS_CLUSTER_NODES)', () => {
    const options = redisOptions(config({ REDIS_URL: 'rediss://:secret@ignored:6379/3', ...CLUSTER }), { connectionName: 'x' });
    expect(options).toEqual({ retryStrategy: reconnectDelay, username: undefined, password: 'secret', tls: {}, connectionName: 'x' });
  });

  it('reconnects BullMQ and command clients with a back-off capped at a second, not BullMQ\'s 20 s default', () => {
    expect([1, 2, 5, 10, 1000].map(reconnectDelay)).toEqual([100, 200, 500, 1000, 1000]);
    const bull = createBullConnection(config({})) as { retryStrategy?: (n: number) => number };
    expect(bull.retryStrategy?.(50)).toBeLessThanOrEqual(RECONNECT_MAX_DELAY_MS);
  });
});

import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { createRedisClient, RedisClient } from './redis.factory';

/**
 * The shared Redis command client, plus key naming: every key we own starts with `REDIS_PREFIX`,
 * so several deployments (or test runs) can share one Redis.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: RedisClient;
  private readonly extra: RedisClient[] = [];

  constructor(private readonly config: AppConfig) {
    // Fail fast instead of queueing commands for minutes while Redis is down.
    this.client = createRedisClient(config, 'commands', { maxRetriesPerRequest: 2 });
  }

  get prefix(): string {
    return this.config.redis.prefix;
  }

  key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** A dedicated connection, e.g. for pub/sub subscribers; closed with the app. */
  createConnection(name: string): RedisClient {
    const client = createRedisClient(this.config, name);
    this.extra.push(client);
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    // quit() waits for replies a reconnecting client never gets: only a ready client quits politely.
    await Promise.allSettled([this.client, ...this.extra].map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  }
}

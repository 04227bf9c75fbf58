import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { createRedisClient, RedisClient } from './redis.factory';

/**
 * The shared Redis command client, plus key naming: every key we own starts with `REDIS_PREFIX`,
 * so several deployments (or test runs) can share one Redis.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  readonly client: RedisClient;
  private readonly extra: RedisClient[] = [];

  constructor(private readonly config: AppConfig) {
    // While Redis is down, commands fail at once (callers fall back to PostgreSQL or skip) instead of
    // waiting in the offline queue for reconnection attempts: an outage must not add seconds to every request.
    this.client = createRedisClient(config, 'commands', { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  }

  /** Start serving with the command connection up when Redis is there (it is checked before start-up). */
  async onModuleInit(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 3000);
      this.client.once('ready', done);
    });
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

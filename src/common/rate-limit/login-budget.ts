import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RedisService } from '../redis/redis.service';
import { LoginClient } from './known-clients';
import { LoginAccountResolver } from './login-account.resolver';
import { RedisThrottlerStorage } from './redis-throttler.storage';

type Budget = 'loginIp' | 'loginAccount';

/**
 * The login limits (`RATE_LIMIT_LOGIN_IP`, `RATE_LIMIT_LOGIN_ACCOUNT`) for sign-ins that are not `POST /auth/login`
 * (HTTP Basic on the queue dashboard): the very counters the login route's guard keeps, so guesses spread over both
 * doors, or over many addresses against one account, share one budget.
 */
@Injectable()
export class LoginBudget {
  /** Stateless: the same script and keys as the throttler's own instance. */
  private readonly storage: RedisThrottlerStorage;

  constructor(
    private readonly accounts: LoginAccountResolver,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {
    this.storage = new RedisThrottlerStorage(redis);
  }

  /**
   * Seconds until a sign-in by `login` from `client` may be tried again; 0 when it may now (or Redis is down). A
   * spent budget (as many hits as the limit) waits for its window, a blocked one for its block.
   */
  async retryAfter(client: LoginClient, login: string): Promise<number> {
    const keys = await this.keys(client, login);
    try {
      const waits = await Promise.all(keys.map(([name, key]) => this.waitMs(name, this.storage.hitsKey(name, key))));
      return Math.ceil(Math.max(0, ...waits) / 1000);
    } catch {
      return 0;
    }
  }

  private async waitMs(name: Budget, hitsKey: string): Promise<number> {
    const client = this.redis.client;
    // Separate commands: one counter's two keys share a slot, but nothing is gained by a pipeline here.
    const [blockedMs, hits, windowMs] = await Promise.all([client.pttl(`${hitsKey}:blocked`), client.get(hitsKey), client.pttl(hitsKey)]);
    if (blockedMs > 0) return blockedMs;
    return Number(hits ?? 0) >= this.config.rateLimits[name].limit ? Math.max(1000, windowMs) : 0;
  }

  /** Counts a failed sign-in against both budgets (the storage starts a block once one is spent). */
  async recordFailure(client: LoginClient, login: string): Promise<void> {
    for (const [name, key] of await this.keys(client, login)) {
      const rule = this.config.rateLimits[name];
      const windowMs = rule.windowSeconds * 1000;
      await this.storage.increment(key, windowMs, rule.limit, windowMs, name);
    }
  }

  /**
   * The guard's keys: a hash of the client address, and of the resolved account (username and email share one; an
   * address and device the account signed in from before has its own, see LoginAccountResolver).
   */
  private async keys(client: LoginClient, login: string): Promise<[Budget, string][]> {
    const hash = (tracker: string) => createHash('sha256').update(tracker).digest('base64url');
    return [
      ['loginIp', hash(client.ip)],
      ['loginAccount', hash(await this.accounts.key(login, client))],
    ];
  }
}

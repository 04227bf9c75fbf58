import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';

/** A client as the login limits see it: its resolved address and its User-Agent. */
export interface LoginClient {
  ip: string;
  userAgent?: string;
}

/** How long a successful sign-in keeps its address and device known, and how many an account keeps. */
export const KNOWN_CLIENT_TTL_MS = 30 * 24 * 3600 * 1000;
export const KNOWN_CLIENTS_KEPT = 10;

/**
 * The address-and-device pairs (client address and User-Agent) each account signed in from successfully in the last
 * 30 days, at most the 10 latest, in a Redis sorted set per account (score: the time of the sign-in). The per-account
 * login budget (`RATE_LIMIT_LOGIN_ACCOUNT`) gives each of them a budget of its own, so that guesses from anywhere else
 * cannot lock the owner out of the device they use (issue 23, N13). Only a hash of the pair is stored. A password
 * change or reset forgets them all.
 */
@Injectable()
export class KnownClients {
  private readonly logger = new Logger('RateLimit');

  constructor(private readonly redis: RedisService) {}

  /** The pair's hash: it names the per-device budget, and is what the account's set holds. */
  fingerprint(client: LoginClient): string {
    return createHash('sha256').update(`${client.ip}\n${client.userAgent ?? ''}`).digest('base64url');
  }

  /** After a successful sign-in. One key, so one slot of a Redis Cluster: the transaction is allowed there. */
  async remember(userId: string, client: LoginClient): Promise<void> {
    const now = Date.now();
    const key = this.key(userId);
    await this.redis.client
      .multi()
      .zadd(key, now, this.fingerprint(client))
      .zremrangebyscore(key, 0, now - KNOWN_CLIENT_TTL_MS)
      .zremrangebyrank(key, 0, -(KNOWN_CLIENTS_KEPT + 1))
      .pexpire(key, KNOWN_CLIENT_TTL_MS)
      .exec();
  }

  /**
   * Whether the account signed in from this address and device within the TTL. With Redis unreachable the answer is
   * "no": the stricter budget (the account's) then applies, and the limiter itself lets the request through and logs
   * the outage (see RedisThrottlerStorage), exactly as for any other request; failing the sign-in instead would turn
   * a Redis outage into a login outage.
   */
  async isKnown(userId: string, client: LoginClient): Promise<boolean> {
    try {
      const at = await this.redis.client.zscore(this.key(userId), this.fingerprint(client));
      return at !== null && Number(at) > Date.now() - KNOWN_CLIENT_TTL_MS;
    } catch (error) {
      this.logger.warn(`known clients not read: ${(error as Error).message}`);
      return false;
    }
  }

  /** After a password change or reset: whoever knew the old one signed in from somewhere. */
  async forget(userId: string): Promise<void> {
    await this.redis.client.del(this.key(userId));
  }

  private key(userId: string): string {
    return this.redis.key('known-clients', userId);
  }
}

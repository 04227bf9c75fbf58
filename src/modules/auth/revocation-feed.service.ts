import { randomBytes } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Role } from '@/common/auth/auth-user';
import { AppConfig } from '@/common/config/app-config';
import { RedisClient } from '@/common/redis/redis.factory';
import { RedisService } from '@/common/redis/redis.service';
import { SessionCache } from './session-cache';

/** Each API process announces itself this often on the channel; hearing any announcement proves the feed works. */
export const HEARTBEAT_MS = 1000;
/** With nothing heard for this long, the feed counts as broken: the cache empties and stops answering. */
export const SILENCE_MS = 3 * HEARTBEAT_MS;

const PING = 'ping:';
const CHANGED = 'changed:';

/**
 * The one Redis channel on which sessions are announced revoked (`<prefix>:sess:revoked`), and what this process
 * does with it: an in-process cache of recently validated sessions (`SessionCache`) that a revocation empties at
 * once on every API process, and the listeners of open SSE streams, which close.
 *
 * Messages: a bare session id (revoked: logout, revocation, password change or reset, suspension, deletion, refresh
 * token reuse); `changed:<session id>` (still live, but its role changed: only cached copies go); `ping:<process>`
 * (the heartbeat).
 *
 * Publishing is one `PUBLISH` on the shared command client, which fails at once while Redis is down; nothing here
 * waits for a message to come back through a subscriber. Receiving is one dedicated connection in subscriber mode,
 * opened once at start-up on API processes and closed with the app (`RedisService`). Redis down, a reconnection,
 * a Redis Cluster moving its subscriber to another node: revocations sent meanwhile may be lost, so the cache only
 * answers while the heartbeat is heard (any message within `SILENCE_MS`), is emptied whenever it stops, and each
 * entry lives `SESSION_CACHE_TTL_MS` at most from the check that filled it. Without the cache every check goes to
 * Redis and PostgreSQL, as before.
 */
@Injectable()
export class RevocationFeed implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RevocationFeed.name);
  private readonly cache: SessionCache;
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly ping = `${PING}${randomBytes(6).toString('hex')}`;
  private subscriber?: RedisClient;
  private heartbeat?: NodeJS.Timeout;
  /** True from the first message heard after (re)subscribing until silence or a lost connection. */
  private hearing = false;
  private lastHeard = 0;

  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {
    this.cache = new SessionCache(config.auth.sessionCacheTtlMs, config.auth.sessionCacheMax);
  }

  get channel(): string {
    return this.redis.key('sess', 'revoked');
  }

  onApplicationBootstrap(): void {
    if (!this.config.runsApi) return;
    const subscriber = this.redis.createConnection('session-revocations');
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.received(message);
    });
    // A lost connection may have lost revocations: stop answering from the cache until the heartbeat is heard again
    // (ioredis subscribes again on reconnection). A cluster moves its subscriber without telling: the heartbeat tells.
    for (const event of ['close', 'reconnecting', 'end', '-node']) subscriber.on(event, () => this.deaf());
    subscriber.subscribe(this.channel).then(
      () => this.beat(),
      (error: Error) => this.logger.warn(`revocation feed: subscribe failed (${error.message}); sessions are checked in Redis and PostgreSQL`),
    );
    // The heartbeat only serves the cache: with SESSION_CACHE_TTL_MS=0 the channel carries revocations alone.
    if (!this.cache.enabled) return;
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
    this.deaf();
    this.listeners.clear();
  }

  /** Whether the cache answers now: the feed is heard (start-up, a reconnection: from the first message heard). */
  get live(): boolean {
    return this.cache.enabled && this.answering(Date.now());
  }

  /** The cached identity of a live session, if the cache may answer now. */
  lookup(sessionId: string, now: number): { userId: string; role: Role } | undefined {
    if (!this.answering(now)) return undefined;
    return this.cache.get(sessionId, now);
  }

  /** Taken before an authoritative check; `remember` stores its result only if no revocation was heard since. */
  mark(): number {
    return this.cache.epoch;
  }

  /** Caches a live session that Redis or PostgreSQL vouched for at `checkedAt`, the check having started at `mark`. */
  remember(sessionId: string, userId: string, role: Role, mark: number, checkedAt: number): void {
    if (this.answering(Date.now())) this.cache.set(sessionId, userId, role, mark, checkedAt);
  }

  /**
   * Announces revoked sessions to every API process: cached copies go and open streams close. This process drops its
   * own at once, without waiting for the message to come back; the awaited `PUBLISH` only orders the announcement
   * before the caller's answer (its reply comes once Redis has handed the message to every subscriber).
   */
  async revoked(sessionIds: string[]): Promise<void> {
    this.cache.delete(sessionIds);
    for (const id of sessionIds) this.notify(id);
    await this.publish(sessionIds);
  }

  /** Sessions still live whose cached identity is stale (a role change): cached copies go, streams stay. */
  async changed(sessionIds: string[]): Promise<void> {
    this.cache.delete(sessionIds);
    await this.publish(sessionIds.map((id) => `${CHANGED}${id}`));
  }

  /** Calls `listener` when the session is revoked; answers the function that stops listening. */
  onRevoked(sessionId: string, listener: () => void): () => void {
    const set = this.listeners.get(sessionId) ?? new Set();
    this.listeners.set(sessionId, set.add(listener));
    return () => {
      set.delete(listener);
      if (!set.size && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  private async publish(messages: string[]): Promise<void> {
    // One PUBLISH per message (fail-fast command client): Redis down, PostgreSQL already says revoked, and every
    // process stops trusting its cache when the heartbeat goes quiet.
    await Promise.all(messages.map((message) => this.redis.client.publish(this.channel, message).catch(() => 0)));
  }

  private received(message: string): void {
    if (!this.hearing) {
      // (Re)joined: whatever was checked before now may predate a revocation we missed.
      this.cache.clear();
      this.hearing = true;
    }
    this.lastHeard = Date.now();
    if (message.startsWith(PING)) return;
    if (message.startsWith(CHANGED)) return this.cache.delete([message.slice(CHANGED.length)]);
    this.cache.delete([message]);
    this.notify(message);
  }

  private notify(sessionId: string): void {
    for (const listener of this.listeners.get(sessionId) ?? []) listener();
  }

  private answering(now: number): boolean {
    if (!this.hearing) return false;
    if (now - this.lastHeard <= SILENCE_MS) return true;
    this.deaf();
    return false;
  }

  private deaf(): void {
    this.hearing = false;
    this.cache.clear();
  }

  private beat(): void {
    if (!this.cache.enabled) return;
    this.answering(Date.now());
    this.redis.client.publish(this.channel, this.ping).catch(() => 0);
  }
}

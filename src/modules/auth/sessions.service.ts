import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { AuthUser, Role } from '@/common/auth/auth-user';
import { KnownClients } from '@/common/rate-limit/known-clients';
import { RedisService } from '@/common/redis/redis.service';
import { User } from '@/modules/users/entities/user.entity';
import { Session } from './entities/session.entity';
import { SessionsRepository } from './repositories/sessions.repository';
import { RevocationFeed } from './revocation-feed.service';
import { TokensService } from './tokens.service';

export interface ClientInfo {
  userAgent?: string;
  ip?: string;
}

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export type RevokeReason = 'logout' | 'revoked' | 'reuse' | 'password_changed' | 'password_reset' | 'suspended' | 'deleted';

const REVOKED = 'revoked';
/** Rotated secrets remembered per session for reuse detection; a replay of an older one is only refused. */
const ROTATED_KEPT = 20;
/** `last_used_at` is written at most this often per session and process. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Sessions live in PostgreSQL (the record), cached in Redis (shared by every process) and, for a few seconds, in each
 * API process's memory (`RevocationFeed`). Checking an access token reads memory, then Redis; a miss (flush, restart,
 * eviction) falls back to PostgreSQL and refills both. Revocation writes a tombstone to Redis and is announced on the
 * revocation channel, which empties every process's in-memory copy and closes its streams: it takes effect at once,
 * not when the access token expires.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly tokens: TokensService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
    private readonly feed: RevocationFeed,
    private readonly knownClients: KnownClients,
  ) {}

  private cacheKey(sessionId: string): string {
    return this.redis.key('sess', sessionId);
  }

  /** Opens a session inside the caller's transaction; the caller answers with the returned tokens. */
  async open(em: EntityManager, user: User, client: ClientInfo): Promise<IssuedTokens> {
    const secret = this.tokens.newRefreshSecret();
    const now = new Date();
    const session = em.create(Session, {
      user,
      token: this.tokens.hashSecret(secret),
      expiresAt: new Date(now.getTime() + this.config.auth.refreshTtlSeconds * 1000),
      userAgent: client.userAgent?.slice(0, 500) ?? null,
      ip: client.ip?.slice(0, 64) ?? null,
      lastUsedAt: now,
    });
    await em.flush();
    return this.issue(user.id, session.id, secret);
  }

  private async issue(userId: string, sessionId: string, secret: string): Promise<IssuedTokens> {
    return {
      access_token: await this.tokens.signAccess(userId, sessionId),
      refresh_token: this.tokens.formatRefresh(sessionId, secret),
      token_type: 'Bearer',
      expires_in: this.tokens.accessTtlSeconds,
    };
  }

  /**
   * Rotates a refresh token. A token whose secret is one of the session's earlier, rotated secrets was replayed (a
   * copy was stolen): the whole session is revoked (reuse detection). Any other wrong secret is only refused: the
   * session id is no secret (every access token carries it), so a guess must not be able to end a session.
   */
  async rotate(refreshToken: string, client: ClientInfo): Promise<IssuedTokens | undefined> {
    const parts = this.tokens.parseRefresh(refreshToken);
    if (!parts) return undefined;
    const outcome = await this.sessions.getEntityManager().fork().transactional(async (em) => {
      const session = await em.findOne(Session, { id: parts.sessionId }, { lockMode: 4 /* pessimistic write */, populate: ['user'] });
      if (!session || session.revokedAt || session.expiresAt <= new Date()) return { kind: 'invalid' as const };
      if (session.user.getEntity().suspendedAt) return { kind: 'invalid' as const };
      if (!this.tokens.matches(parts.secret, session.token)) {
        if (!session.rotatedTokenHashes.some((hash) => this.tokens.matches(parts.secret, hash))) return { kind: 'invalid' as const };
        session.revokedAt = new Date();
        session.revokedReason = 'reuse';
        return { kind: 'reused' as const, sessionId: session.id };
      }
      const secret = this.tokens.newRefreshSecret();
      session.rotatedTokenHashes = [session.token, ...session.rotatedTokenHashes].slice(0, ROTATED_KEPT);
      session.token = this.tokens.hashSecret(secret);
      session.lastUsedAt = new Date();
      session.expiresAt = new Date(Date.now() + this.config.auth.refreshTtlSeconds * 1000);
      if (client.userAgent) session.userAgent = client.userAgent.slice(0, 500);
      if (client.ip) session.ip = client.ip.slice(0, 64);
      return { kind: 'rotated' as const, userId: session.user.id, sessionId: session.id, secret };
    });
    if (outcome.kind === 'reused') {
      this.logger.warn(`refresh token reuse on session ${outcome.sessionId}: session revoked`);
      await this.tombstone([outcome.sessionId]);
      return undefined;
    }
    if (outcome.kind === 'invalid') return undefined;
    return this.issue(outcome.userId, outcome.sessionId, outcome.secret);
  }

  /**
   * The caller from this process's memory, with no round trip: undefined when not cached here (ask `resolve`), null
   * when the cached session is someone else's than the token says.
   */
  cached(userId: string, sessionId: string): AuthUser | null | undefined {
    const now = Date.now();
    const hit = this.feed.lookup(sessionId, now);
    if (!hit) return undefined;
    return hit.userId === userId ? this.touch({ id: userId, sessionId, role: hit.role }, now) : null;
  }

  /** The caller behind an access token, or undefined when its session is revoked, expired or suspended. */
  async resolve(userId: string, sessionId: string): Promise<AuthUser | undefined> {
    const known = this.cached(userId, sessionId);
    if (known !== undefined) return known ?? undefined;
    const mark = this.feed.mark();
    const checkedAt = Date.now();
    const key = this.cacheKey(sessionId);
    let cached: string | null | undefined;
    try {
      cached = await this.redis.client.get(key);
    } catch {
      cached = undefined; // Redis down: PostgreSQL decides, nobody is logged out.
    }
    if (cached === REVOKED) return undefined;
    if (cached) {
      const { u, r } = JSON.parse(cached) as { u: string; r: Role };
      this.feed.remember(sessionId, u, r, mark, checkedAt);
      return u === userId ? this.touch({ id: u, sessionId, role: r }) : undefined;
    }
    const identity = await this.sessions.findActiveIdentity(sessionId);
    // The cache describes the session, whoever asked: a token naming another user must not tombstone a live session.
    const value = identity ? JSON.stringify({ u: identity.userId, r: identity.role }) : REVOKED;
    // A cached session lives one access-token lifetime: even a tombstone lost to a Redis blip expires in time.
    const ttl = this.config.auth.accessTtlSeconds;
    // NX: a revocation that landed meanwhile keeps its tombstone.
    await this.redis.client.set(key, value, 'EX', ttl, 'NX').catch(() => undefined);
    if (!identity) return undefined;
    this.feed.remember(sessionId, identity.userId, identity.role, mark, checkedAt);
    return identity.userId === userId ? this.touch({ id: identity.userId, sessionId, role: identity.role }) : undefined;
  }

  private touch(user: AuthUser, now = Date.now()): AuthUser {
    if ((this.touched.get(user.sessionId) ?? 0) + TOUCH_EVERY_MS < now) {
      this.touched.set(user.sessionId, now);
      if (this.touched.size > 10_000) this.touched.clear();
      this.sessions.touch(user.sessionId, new Date(now)).catch((error: Error) => this.logger.warn(`touch failed: ${error.message}`));
    }
    return user;
  }

  async revoke(sessionIds: string[], reason: RevokeReason): Promise<void> {
    const revoked = await this.sessions.revokeByIds(sessionIds, reason);
    await this.tombstone(revoked);
  }

  /**
   * Every session of the user except `keep` (a password change, a reset, a deletion). The addresses and devices the
   * account signed in from stop being known too (their own login budgets, see KnownClients): whoever held the old
   * password may have signed in from one of them.
   */
  async revokeAllForUser(userId: string, reason: RevokeReason, keep?: string): Promise<void> {
    const revoked = await this.sessions.revokeAllForUser(userId, reason, keep);
    await this.tombstone(revoked);
    // After the commit: a Redis outage must not fail a reset that is done. Logged; the set expires within 30 days.
    await this.knownClients.forget(userId).catch((error: Error) => this.logger.warn(`known clients not forgotten: ${error.message}`));
  }

  /**
   * Every session of the user, revoked in the caller's transaction (a suspension and its audit entry commit together).
   * Answers the ids, for `dropCached` once the transaction has committed.
   */
  revokeAllForUserIn(em: EntityManager, userId: string, reason: RevokeReason): Promise<string[]> {
    return this.sessions.revokeAllForUser(userId, reason, undefined, em);
  }

  /** After a committed revocation: the cached copies become tombstones, so the tokens stop working at once. */
  dropCached(sessionIds: string[]): Promise<void> {
    return this.tombstone(sessionIds);
  }

  /** Drops cached copies (e.g. after a role change) so the next request reads the new state. */
  async forgetUser(userId: string): Promise<void> {
    const ids = await this.sessions.activeIdsForUser(userId);
    // One DEL per key: in a Redis Cluster the sessions' keys live in different slots.
    await Promise.all(ids.map((id) => this.redis.client.del(this.cacheKey(id))));
    await this.feed.changed(ids);
  }

  list(userId: string): Promise<Session[]> {
    return this.sessions.listActive(userId);
  }

  sessionIdOf(refreshToken: string): string | undefined {
    return this.tokens.parseRefresh(refreshToken)?.sessionId;
  }

  /** Whether this refresh token is the current one of its session, and (when given) that session is `userId`'s. */
  async ownedBy(sessionId: string, refreshToken: string, userId?: string): Promise<boolean> {
    const parts = this.tokens.parseRefresh(refreshToken);
    const session = parts && (await this.sessions.findOne({ id: sessionId, revokedAt: null }));
    if (!parts || !session || !this.tokens.matches(parts.secret, session.token)) return false;
    return !userId || session.user.id === userId;
  }

  private async tombstone(sessionIds: string[]): Promise<void> {
    if (!sessionIds.length) return;
    // Separate commands, not one pipeline: in a Redis Cluster the sessions' keys live in different slots.
    // Redis down: PostgreSQL already says revoked, and the cache refills from it.
    const ttl = this.config.auth.accessTtlSeconds;
    await Promise.all([
      ...sessionIds.map((id) => this.redis.client.set(this.cacheKey(id), REVOKED, 'EX', ttl).catch(() => undefined)),
      // Every process's in-memory copy goes and open streams of these sessions close (they also re-check the session
      // on every event and heartbeat).
      this.feed.revoked(sessionIds),
    ]);
  }

  /** Calls `listener` when the session is revoked (logout, revocation, password change, suspension); answers the stop. */
  onRevoked(sessionId: string, listener: () => void): () => void {
    return this.feed.onRevoked(sessionId, listener);
  }

  /** When this live session of the user signed in (refreshes keep the session, so its creation is the sign-in). */
  async signedInAt(userId: string, sessionId: string): Promise<Date | undefined> {
    const session = await this.sessions.getEntityManager().fork().findOne(Session, { id: sessionId, user: userId, revokedAt: null });
    return session?.createdAt;
  }

  /** Whether the session behind a stream is still live (Redis down: PostgreSQL decides). */
  async isLive(user: AuthUser): Promise<boolean> {
    return !!(await this.resolve(user.id, user.sessionId));
  }
}

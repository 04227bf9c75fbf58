import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { MikroORM, RequestContext } from '@mikro-orm/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@/common/config/app-config';
import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { sendProblem } from '@/common/errors/problem.filter';
import { RedisService } from '@/common/redis/redis.service';
import { verifyAgainstDummy, verifyPassword } from '@/common/security/password';
import { SessionsService } from '@/modules/auth/sessions.service';
import { TokensService } from '@/modules/auth/tokens.service';
import { UsersService } from '@/modules/users/users.service';

export const QUEUE_DASHBOARD_REALM = 'x18 queues';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a browser sends with a request it makes on its own from the page itself (or a typed URL). */
const FIRST_PARTY_FETCH = new Set(['same-origin', 'none']);

type Verdict = { admin: true; via: 'basic' | 'bearer' } | { admin: false; basicTried: boolean };

/**
 * Who may see the queue dashboard: an admin by HTTP Basic (username or email, and password) or by an access token.
 * Anyone else gets the same `401`, in about the same time: an unknown login spends a dummy Argon2 verification.
 * Failed Basic attempts are counted per client address in Redis (`RATE_LIMIT_LOGIN_IP`), on top of Argon2's cost.
 */
@Injectable()
export class QueueDashboardAuth {
  constructor(
    private readonly orm: MikroORM,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Fastify `onRequest` hook of the dashboard's prefix: nothing of the board is served before it passes.
   * Answers the reply when it has refused the request (Fastify then stops there), undefined to let it through.
   */
  async onRequest(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const retryAfter = /^Basic\s/i.test(request.headers.authorization ?? '') ? await this.blockedFor(request.ip) : 0;
    if (retryAfter) {
      const headers = { 'Retry-After': String(retryAfter) };
      sendProblem(new AppException(ErrorCode.RateLimited, 'Too many failed sign-ins; retry later', { headers }), request, reply);
      return reply;
    }
    const verdict = await RequestContext.create(this.orm.em, () => this.identify(request.headers.authorization));
    if (!verdict.admin) {
      if (verdict.basicTried) await this.recordFailure(request.ip);
      const challenge = { 'WWW-Authenticate': `Basic realm="${QUEUE_DASHBOARD_REALM}"` };
      sendProblem(new AppException(ErrorCode.Unauthorized, 'The queue dashboard is for administrators', { headers: challenge }), request, reply);
      return reply;
    }
    // Browsers resend Basic credentials on their own, also on requests another site makes them send:
    // the board's writes (retry, clean, obliterate…) must come from the board's own page.
    const site = request.headers['sec-fetch-site'];
    if (verdict.via === 'basic' && !SAFE_METHODS.has(request.method) && typeof site === 'string' && !FIRST_PARTY_FETCH.has(site)) {
      sendProblem(new AppException(ErrorCode.Forbidden, 'Dashboard actions must come from the dashboard itself'), request, reply);
      return reply;
    }
    return undefined;
  }

  private async identify(header: string | undefined): Promise<Verdict> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (bearer) return (await this.isAdminToken(bearer)) ? { admin: true, via: 'bearer' } : { admin: false, basicTried: false };
    const basic = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (basic) return (await this.isAdminPassword(basic)) ? { admin: true, via: 'basic' } : { admin: false, basicTried: true };
    return { admin: false, basicTried: false };
  }

  private async isAdminToken(token: string): Promise<boolean> {
    const claims = await this.tokens.verifyAccess(token);
    const user = claims && (await this.sessions.resolve(claims.sub, claims.sid));
    return user?.role === 'admin';
  }

  private async isAdminPassword(encoded: string): Promise<boolean> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return false;
    const password = decoded.slice(colon + 1);
    const user = await this.users.findForLogin(decoded.slice(0, colon));
    // The password is checked before the role, so a non-admin's account is not told apart either.
    const valid = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    return valid && user?.role === 'admin' && !user.suspendedAt;
  }

  private failuresKey(ip: string): string {
    return this.redis.key('rl', 'queue-dashboard', createHash('sha256').update(ip).digest('base64url'));
  }

  /** Seconds until this address may try again; 0 when it may now (or when Redis is down: Argon2 still slows guessing). */
  private async blockedFor(ip: string): Promise<number> {
    try {
      const [[, hits], [, ttlMs]] = (await this.redis.client.pipeline().get(this.failuresKey(ip)).pttl(this.failuresKey(ip)).exec()) as [
        [Error | null, string | null],
        [Error | null, number],
      ];
      return Number(hits ?? 0) >= this.config.rateLimits.loginIp.limit ? Math.max(1, Math.ceil(ttlMs / 1000)) : 0;
    } catch {
      return 0;
    }
  }

  private async recordFailure(ip: string): Promise<void> {
    const key = this.failuresKey(ip);
    const windowMs = this.config.rateLimits.loginIp.windowSeconds * 1000;
    // SET NX starts the window once; INCR keeps its expiry.
    await this.redis.client.pipeline().set(key, 0, 'PX', windowMs, 'NX').incr(key).exec().catch(() => undefined);
  }
}

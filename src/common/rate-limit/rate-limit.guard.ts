import { createHash } from 'node:crypto';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerModuleOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PUBLIC_KEY } from '../auth/auth.decorators';
import { LoginAccountResolver } from './login-account.resolver';
import type { RateLimitName } from './rate-limit.decorator';

const RATE_LIMITS_KEY = 'x18:rate-limits';

interface Limited {
  remaining: number;
}

/** What each limit counts by: the client address, the account being logged into, the session, or the user. */
function trackerFor(name: RateLimitName, req: FastifyRequest & { user?: { id: string } }): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  switch (name) {
    case 'loginIp':
    case 'registerIp':
    case 'passwordResetIp':
      return req.ip;
    case 'passwordReset':
      // Per address, as stored (trimmed, lower-cased); a body without one is counted by client address.
      return typeof body.email === 'string' ? `email:${body.email.trim().toLowerCase()}` : req.ip;
    case 'loginAccount':
      return undefined; // resolved to the account (or the known device) by LoginAccountResolver
    case 'refreshSession':
      // The session id leads the refresh token; a malformed token is counted by address instead.
      return typeof body.refresh_token === 'string' ? body.refresh_token.split('.')[0].slice(0, 64) : req.ip;
    case 'mediaUpload':
    case 'postCreate':
    case 'email':
    case 'report':
    case 'message':
    case 'offerLookup':
    case 'giftRedeem':
      return req.user?.id ?? req.ip;
  }
}

/**
 * @nestjs/throttler's guard, limited to the routes that ask (`@RateLimit(...)`), counting by the right tracker,
 * and answering with the IETF `RateLimit-*` headers of the most constrained limit plus `Retry-After` on 429.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly accounts: LoginAccountResolver,
  ) {
    super(options, storage, reflector);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration } = request;
    const name = throttler.name as RateLimitName;
    const wanted = this.reflector.getAllAndOverride<RateLimitName[] | undefined>(RATE_LIMITS_KEY, [context.getHandler(), context.getClass()]);
    if (!wanted?.includes(name)) return true;

    const req = context.switchToHttp().getRequest<FastifyRequest & { rateLimited?: Limited }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const tracker = name === 'loginAccount' ? await this.accountTracker(context, req) : trackerFor(name, req);
    if (!tracker) return true;
    const key = createHash('sha256').update(tracker).digest('base64url');
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);

    const remaining = Math.max(0, limit - record.totalHits);
    if (!req.rateLimited || remaining <= req.rateLimited.remaining) {
      req.rateLimited = { remaining };
      reply.header('RateLimit-Limit', limit);
      reply.header('RateLimit-Remaining', remaining);
      reply.header('RateLimit-Reset', record.timeToExpire);
    }
    if (record.isBlocked) {
      reply.header('Retry-After', record.timeToBlockExpire);
      await this.throwThrottlingException(context, { limit, ttl, key, tracker, ...record });
    }
    return true;
  }

  /**
   * A sign-in (a public route) counts against the account its `login` names; a signed-in route that checks the
   * current password (POST /auth/password, DELETE /me, POST /me/email) against the caller's own account: a stolen
   * session guesses the password in the same budget as the login form (issue 23, N3).
   */
  private accountTracker(context: ExecutionContext, req: FastifyRequest & { user?: { id: string } }): Promise<string> | undefined {
    const userAgent = req.headers['user-agent'];
    const client = { ip: req.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined };
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (!isPublic) return req.user ? this.accounts.forUser(req.user.id, client) : undefined;
    const login = (req.body as { login?: unknown } | undefined)?.login;
    return typeof login === 'string' ? this.accounts.key(login, client) : undefined;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return context.getType() !== 'http';
  }
}

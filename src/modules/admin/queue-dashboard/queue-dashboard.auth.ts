import { Injectable } from '@nestjs/common';
import { MikroORM, RequestContext } from '@mikro-orm/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { sendProblem } from '@/common/errors/problem.filter';
import { LoginBudget } from '@/common/rate-limit/login-budget';
import { verifyAgainstDummy, verifyPassword } from '@/common/security/password';
import { SessionsService } from '@/modules/auth/sessions.service';
import { TokensService } from '@/modules/auth/tokens.service';
import { UserAccountsService } from '@/modules/users/user-accounts.service';

export const QUEUE_DASHBOARD_REALM = 'x18 queues';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a browser sends with a request it makes on its own from the page itself (or a typed URL). */
const FIRST_PARTY_FETCH = new Set(['same-origin', 'none']);

type Verdict = { admin: true; via: 'basic' | 'bearer' } | { admin: false; basicLogin?: string };

/** The login of a Basic header (`login:password`, base64), if it has one. */
function basicCredentials(header: string | undefined): { login: string; password: string } | undefined {
  const encoded = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 1 ? undefined : { login: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Who may see the queue dashboard: an admin by HTTP Basic (username or email, and password) or by an access token.
 * Anyone else gets the same `401`, in about the same time: an unknown login spends a dummy Argon2 verification.
 * Failed Basic sign-ins count toward the login route's own budgets, per account and per client address
 * (`RATE_LIMIT_LOGIN_ACCOUNT`, `RATE_LIMIT_LOGIN_IP`); a spent budget answers 429 before any password is checked.
 * Successful ones do not count: the board's page polls its API with the same credentials.
 */
@Injectable()
export class QueueDashboardAuth {
  constructor(
    private readonly orm: MikroORM,
    private readonly users: UserAccountsService,
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    private readonly budget: LoginBudget,
  ) {}

  /**
   * Fastify `onRequest` hook of the dashboard's prefix: nothing of the board is served before it passes.
   * Answers the reply when it has refused the request (Fastify then stops there), undefined to let it through.
   */
  async onRequest(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const basic = basicCredentials(request.headers.authorization);
    const client = { ip: request.ip, userAgent: request.headers['user-agent'] };
    const retryAfter = basic ? await RequestContext.create(this.orm.em, () => this.budget.retryAfter(client, basic.login)) : 0;
    if (retryAfter) {
      const headers = { 'Retry-After': String(retryAfter) };
      sendProblem(new AppException(ErrorCode.RateLimited, 'Too many failed sign-ins; retry later', { headers }), request, reply);
      return reply;
    }
    const verdict = await RequestContext.create(this.orm.em, () => this.identify(request.headers.authorization));
    if (!verdict.admin) {
      if (verdict.basicLogin !== undefined) await this.budget.recordFailure(client, verdict.basicLogin).catch(() => undefined);
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
    if (bearer) return (await this.isAdminToken(bearer)) ? { admin: true, via: 'bearer' } : { admin: false };
    const basic = basicCredentials(header);
    if (basic) return (await this.isAdminPassword(basic.login, basic.password)) ? { admin: true, via: 'basic' } : { admin: false, basicLogin: basic.login };
    // A Basic header that is not `login:password` is a failed sign-in too (by an empty login).
    return /^Basic\s/i.test(header ?? '') ? { admin: false, basicLogin: '' } : { admin: false };
  }

  private async isAdminToken(token: string): Promise<boolean> {
    const claims = await this.tokens.verifyAccess(token);
    const user = claims && (await this.sessions.resolve(claims.sub, claims.sid));
    return user?.role === 'admin';
  }

  private async isAdminPassword(login: string, password: string): Promise<boolean> {
    const user = await this.users.findForLogin(login);
    // The password is checked before the role, so a non-admin's account is not told apart either.
    const valid = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    return valid && user?.role === 'admin' && !user.suspendedAt;
  }
}

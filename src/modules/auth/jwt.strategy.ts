import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy, StrategyOptionsWithoutRequest } from 'passport-jwt';
import { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import { AuthUser } from '@/common/auth/auth-user';
import { AppConfig } from '@/common/config/app-config';
import { accessTokenKey, bearerToken } from './access-token';
import { SessionsService } from './sessions.service';
import { ACCESS_TOKEN_ALGORITHMS, AccessClaims, hasAccessClaims } from './tokens.service';

/** The authenticate option by which a guard names its own app's strategy (see `JwtStrategy.authenticate`). */
export const OWN_STRATEGY = 'x18OwnStrategy';

/** What passport sets on the per-request copy of a strategy, for the strategy to report its outcome. */
const OUTCOMES = ['success', 'fail', 'error', 'pass', 'redirect'] as const;

type PassportRequest = Parameters<Strategy['authenticate']>[0];

/**
 * passport-jwt's `jwt` strategy: an HS256 access token signed with our key (no `alg: none`, no other algorithm, not
 * expired), then `validate` checks the session it names is live and belongs to its subject (revoked, expired and
 * suspended sessions fail). A session this process validated moments ago answers from memory (`RevocationFeed`).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly sessions: SessionsService,
  ) {
    const options: StrategyOptionsWithoutRequest = {
      jwtFromRequest: (request: AuthenticatedRequest) => bearerToken(request) ?? null,
      // passport-jwt's typings say string or Buffer; it hands the key to jsonwebtoken, which takes a KeyObject as is.
      secretOrKey: accessTokenKey(config) as unknown as Buffer,
      algorithms: [...ACCESS_TOKEN_ALGORITHMS],
    };
    super(options);
  }

  /** False (401) for claims we did not issue or a session that is not live; a promise only when not cached. */
  validate(claims: Partial<AccessClaims>): AuthUser | false | Promise<AuthUser | false> {
    if (!hasAccessClaims(claims)) return false;
    const cached = this.sessions.cached(claims.sub, claims.sid);
    if (cached !== undefined) return cached ?? false;
    return this.sessions.resolve(claims.sub, claims.sid).then((user) => user ?? false);
  }

  /**
   * passport keeps one strategy per name for the whole process: the last one registered. One app per process never
   * notices; several (the e2e suites boot a second app beside the first, then close it) would check every app's
   * tokens against the last app's sessions. So each app's guard names its own instance (`OWN_STRATEGY`), and the check
   * runs there, on a per-request copy that reports through the callbacks passport gave this one.
   */
  override authenticate(request: PassportRequest, options?: { [OWN_STRATEGY]?: JwtStrategy }): void {
    const own = options?.[OWN_STRATEGY];
    if (!own || own === Object.getPrototypeOf(this)) return super.authenticate(request, options);
    const copy = Object.create(own) as Record<string, unknown>;
    for (const outcome of OUTCOMES) copy[outcome] = (this as unknown as Record<string, unknown>)[outcome];
    Strategy.prototype.authenticate.call(copy, request, options);
  }
}

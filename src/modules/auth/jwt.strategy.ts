import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy, StrategyOptionsWithoutRequest } from 'passport-jwt';
import { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import { AuthUser } from '@/common/auth/auth-user';
import { AppConfig } from '@/common/config/app-config';
import { accessTokenKey, bearerToken } from './access-token';
import { SessionsService } from './sessions.service';
import { ACCESS_TOKEN_ALGORITHMS, AccessClaims, hasAccessClaims } from './tokens.service';

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
}

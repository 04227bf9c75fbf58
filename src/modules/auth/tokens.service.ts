import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '@/common/config/app-config';

export interface AccessClaims {
  sub: string;
  sid: string;
}

export interface RefreshTokenParts {
  sessionId: string;
  secret: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The only algorithm access tokens are signed and checked with (never `none`, never an asymmetric one). */
export const ACCESS_TOKEN_ALGORITHMS = ['HS256'] as const;

/** Whether verified claims are ours: a subject and a session id (a UUID, since it goes into SQL). */
export function hasAccessClaims(claims: Partial<AccessClaims>): claims is AccessClaims {
  return typeof claims.sub === 'string' && typeof claims.sid === 'string' && UUID.test(claims.sid);
}

/**
 * Access tokens are short-lived HS256 JWTs naming the session; refresh tokens are `<session id>.<256 random bits>`,
 * of which only a SHA-256 hash of the random part is stored.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  get accessTtlSeconds(): number {
    return this.config.auth.accessTtlSeconds;
  }

  signAccess(userId: string, sessionId: string): Promise<string> {
    return this.jwt.signAsync({ sid: sessionId }, { subject: userId, expiresIn: this.accessTtlSeconds });
  }

  /**
   * Undefined for anything but a valid, unexpired HS256 token signed with our secret (no `alg: none`). Requests are
   * checked by the `jwt` passport strategy (`jwt.strategy.ts`); this serves the queue dashboard's own check.
   */
  async verifyAccess(token: string): Promise<AccessClaims | undefined> {
    try {
      const claims = await this.jwt.verifyAsync<Partial<AccessClaims>>(token, { algorithms: [...ACCESS_TOKEN_ALGORITHMS] });
      return hasAccessClaims(claims) ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  newRefreshSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  formatRefresh(sessionId: string, secret: string): string {
    return `${sessionId}.${secret}`;
  }

  parseRefresh(token: string): RefreshTokenParts | undefined {
    const [sessionId, secret, ...rest] = token.split('.');
    if (rest.length || !UUID.test(sessionId ?? '') || !/^[A-Za-z0-9_-]{43}$/.test(secret ?? '')) return undefined;
    return { sessionId, secret };
  }

  hashSecret(secret: string): string {
    return createHash('sha256').update(secret).digest('hex');
  }

  matches(secret: string, storedHash: string): boolean {
    const given = Buffer.from(this.hashSecret(secret), 'hex');
    const stored = Buffer.from(storedHash, 'hex');
    return given.length === stored.length && timingSafeEqual(given, stored);
  }
}

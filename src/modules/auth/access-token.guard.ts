import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticatedRequest, PUBLIC_KEY, ROLES_KEY } from '@/common/auth/auth.decorators';
import { Role } from '@/common/auth/auth-user';
import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { SessionsService } from './sessions.service';
import { TokensService } from './tokens.service';

const STREAMING_PREFIX = '/api/v1/streaming/';

function bearerToken(request: AuthenticatedRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppException(ErrorCode.Unauthorized, 'The Authorization header must be "Bearer <token>"');
    return match[1];
  }
  // EventSource cannot send headers: the streaming routes (and only they, to keep tokens out of logs and
  // Referer headers elsewhere) take the token as a query parameter.
  if (!request.url.startsWith(STREAMING_PREFIX)) return undefined;
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.access_token === 'string' ? query.access_token : undefined;
}

/** Global: every route needs a valid access token unless it is `@Public()`, and `@Roles()` narrows it further. */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();

    const token = bearerToken(request);
    if (!token) {
      if (isPublic) return true;
      throw new AppException(ErrorCode.Unauthorized, 'Sign in first: this route needs an access token');
    }
    const claims = await this.tokens.verifyAccess(token);
    const user = claims && (await this.sessions.resolve(claims.sub, claims.sid));
    if (!user) throw new AppException(ErrorCode.Unauthorized, 'The access token is invalid, expired or revoked');
    request.user = user;
    if (roles && !roles.includes(user.role)) throw new AppException(ErrorCode.Forbidden, 'This route is for administrators');
    return true;
  }
}

import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, IAuthModuleOptions } from '@nestjs/passport';
import { AuthenticatedRequest, PUBLIC_KEY, ROLES_KEY } from '@/common/auth/auth.decorators';
import { AuthUser, Role } from '@/common/auth/auth-user';
import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { bearerToken } from './access-token';
import { JwtStrategy, OWN_STRATEGY } from './jwt.strategy';

/**
 * Global: every route needs a valid access token unless it is `@Public()`, and `@Roles()` narrows it further. The
 * token is checked by passport-jwt (the `jwt` strategy, `jwt.strategy.ts`). On a `@Public()` route a request without
 * a token passes without passport; one with a token must present a valid one (a viewer is never silently anonymous).
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard('jwt') {
  private readonly authenticateOptions: IAuthModuleOptions;

  constructor(
    private readonly reflector: Reflector,
    strategy: JwtStrategy,
  ) {
    super();
    // This app's strategy, not whichever app registered `jwt` with passport last (see JwtStrategy.authenticate).
    this.authenticateOptions = { session: false, [OWN_STRATEGY]: strategy };
  }

  override getAuthenticateOptions(): IAuthModuleOptions {
    return this.authenticateOptions;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!bearerToken(request)) {
      if (isPublic) return true;
      throw new AppException(ErrorCode.Unauthorized, 'Sign in first: this route needs an access token');
    }
    await super.canActivate(context);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(request.user!.role)) throw new AppException(ErrorCode.Forbidden, 'This route is for administrators');
    return true;
  }

  /** Passport's outcome: the caller, or 401 (bad token, dead session); other errors (PostgreSQL down) pass through. */
  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false): TUser {
    if (error) throw error;
    if (!user) throw new AppException(ErrorCode.Unauthorized, 'The access token is invalid, expired or revoked');
    return user;
  }
}

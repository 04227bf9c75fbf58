import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthUser, Role } from './auth-user';

export const PUBLIC_KEY = 'x18:public';
export const ROLES_KEY = 'x18:roles';

/** No token needed; a valid one still identifies the viewer (`@CurrentUser()` may then be undefined). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Only these roles pass (`403` otherwise). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export type AuthenticatedRequest = FastifyRequest & { user?: AuthUser };

/** The signed-in caller; on `@Public()` routes, undefined for anonymous viewers. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser | undefined => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
});

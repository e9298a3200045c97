import { SetMetadata, createParamDecorator } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { Principal } from './principal';
import type { Role } from './roles';

export const ROLES_KEY = 'orfleet:roles';
export const PUBLIC_KEY = 'orfleet:public';

/** Roles allowed to call the handler (admin satisfies engineer satisfies viewer). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** No token needed: health, readiness, metrics and the API docs. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The authenticated caller, set by the AuthGuard. */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  if (request.principal === undefined) throw new Error('Caller used on a public route');
  return request.principal;
});

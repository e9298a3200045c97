import { SetMetadata, createParamDecorator } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { Principal } from './principal';
import type { Role } from './roles';

export const ROLES_KEY = 'orfleet:roles';
export const PUBLIC_KEY = 'orfleet:public';
export const QUERY_TOKEN_KEY = 'orfleet:query-token';

/** Roles allowed to call the handler (admin satisfies engineer satisfies viewer). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** No token needed: health, readiness, metrics and the API docs. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/**
 * The bearer token may also come as the query parameter `access_token` (RFC 6750 2.3), for a
 * caller that cannot send headers: mosquitto-go-auth's HTTP backend has no header option. Only
 * on routes marked so; the request log redacts it.
 */
export const TokenInQuery = () => SetMetadata(QUERY_TOKEN_KEY, true);

/** The authenticated caller, set by the AuthGuard. */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  if (request.principal === undefined) throw new Error('Caller used on a public route');
  return request.principal;
});

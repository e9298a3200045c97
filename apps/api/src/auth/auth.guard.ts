import { Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_KEY, QUERY_TOKEN_KEY, ROLES_KEY } from './auth.decorators';
import { AuthError } from './auth.errors';
import type { Principal } from './principal';
import { roleAllows } from './roles';
import type { Role } from './roles';
import { TokensService } from './tokens.service';

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,200})$/;

/**
 * Global guard: every route needs a bearer token unless marked @Public(); a route without
 * @Roles() is admin-only, so forgetting the decorator fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<{
      headers: Record<string, string | undefined>;
      query?: Record<string, unknown>;
      principal?: Principal;
    }>();
    let header = request.headers['authorization'];
    const inQuery = request.query?.['access_token'];
    if (
      header === undefined &&
      typeof inQuery === 'string' &&
      this.reflector.getAllAndOverride<boolean>(QUERY_TOKEN_KEY, targets)
    ) {
      header = `Bearer ${inQuery}`;
    }
    if (header === undefined) {
      throw new AuthError('AUTH_REQUIRED', 'send an API token: Authorization: Bearer <token>');
    }
    const match = BEARER.exec(header);
    if (match === null) throw new AuthError('AUTH_INVALID', 'malformed Authorization header');
    const principal = await this.tokens.verify(match[1] ?? '');
    const required = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? ['admin'];
    if (!roleAllows(principal.role, required)) {
      throw new AuthError('AUTH_FORBIDDEN', `role ${principal.role} may not do this`, {
        required,
      });
    }
    request.principal = principal;
    return true;
  }
}

import { DomainError } from '../platform/domain-error';

export type AuthErrorCode = 'AUTH_REQUIRED' | 'AUTH_INVALID' | 'AUTH_FORBIDDEN' | 'TOKEN_NOT_FOUND';

export class AuthError extends DomainError<AuthErrorCode> {}

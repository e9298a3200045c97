import { DomainError } from '../platform/domain-error';

export type RegistryErrorCode =
  | 'SITE_NOT_FOUND'
  | 'SITE_EXISTS'
  | 'SITE_INVALID'
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_EXISTS'
  | 'DEVICE_INVALID'
  | 'BULK_IMPORT_INVALID'
  | 'CURSOR_INVALID';

export class RegistryError extends DomainError<RegistryErrorCode> {}

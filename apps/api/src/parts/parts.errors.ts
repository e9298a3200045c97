import { DomainError } from '../platform/domain-error';

export type PartsErrorCode =
  | 'PART_NOT_FOUND'
  | 'PART_EXISTS'
  | 'SITE_NOT_FOUND'
  | 'STORE_NOT_FOUND'
  | 'STORE_EXISTS'
  | 'STORE_INVALID'
  | 'STOCK_INSUFFICIENT'
  | 'STOCK_INVALID'
  | 'RESERVATION_NOT_FOUND'
  | 'RESERVATION_CONFLICT'
  | 'RESERVATION_STATE_INVALID'
  | 'RESERVATION_INVALID'
  | 'REPLENISHMENT_NOT_FOUND'
  | 'REPLENISHMENT_STATE_INVALID';

export class PartsError extends DomainError<PartsErrorCode> {}

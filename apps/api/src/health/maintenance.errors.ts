import { DomainError } from '../platform/domain-error';

export type MaintenanceErrorCode =
  'MAINTENANCE_WINDOW_NOT_FOUND' | 'MAINTENANCE_WINDOW_INVALID' | 'MAINTENANCE_WINDOW_ENDED';

export class MaintenanceError extends DomainError<MaintenanceErrorCode> {}

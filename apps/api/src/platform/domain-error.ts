/**
 * The one error type services throw. Each feature defines its codes (a string-literal union in
 * its `*.errors.ts`); ERROR_STATUS below is the single place that maps a code to HTTP.
 */
export class DomainError<C extends string = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Every error code the API can answer with, and its HTTP status. */
export const ERROR_STATUS = {
  // request shape (raised by the validation pipe and the platform)
  VALIDATION_FAILED: 400,
  BODY_TOO_LARGE: 413,
  NOT_FOUND: 404,
  // a uniqueness or reference rule of the database that no service check caught first
  CONFLICT: 409,
  REFERENCE_INVALID: 422,
  // auth
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  AUTH_FORBIDDEN: 403,
  TOKEN_NOT_FOUND: 404,
  // registry
  SITE_NOT_FOUND: 404,
  SITE_EXISTS: 409,
  SITE_INVALID: 422,
  DEVICE_NOT_FOUND: 404,
  DEVICE_EXISTS: 409,
  DEVICE_INVALID: 422,
  DEVICE_RETIRED: 409,
  BULK_IMPORT_INVALID: 422,
  CURSOR_INVALID: 400,
  // tickets
  TICKET_NOT_FOUND: 404,
  TICKET_INVALID: 422,
  TICKET_TRANSITION_INVALID: 409,
  TICKET_EVENT_INVALID: 422,
  TICKET_FINGERPRINT_OPEN: 409,
  // parts
  PART_NOT_FOUND: 404,
  PART_EXISTS: 409,
  STORE_NOT_FOUND: 404,
  STORE_EXISTS: 409,
  STORE_INVALID: 422,
  STOCK_INSUFFICIENT: 409,
  STOCK_INVALID: 422,
  RESERVATION_NOT_FOUND: 404,
  RESERVATION_CONFLICT: 409,
  RESERVATION_STATE_INVALID: 409,
  RESERVATION_INVALID: 422,
  REPLENISHMENT_NOT_FOUND: 404,
  REPLENISHMENT_STATE_INVALID: 409,
  // reports
  REPORT_INVALID: 400,
  // maintenance windows (device health)
  MAINTENANCE_WINDOW_NOT_FOUND: 404,
  MAINTENANCE_WINDOW_INVALID: 422,
  MAINTENANCE_WINDOW_ENDED: 409,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type SpoolErrorCode =
  // over the disk quota: the caller withholds the PUBACK and the broker keeps the message
  | 'SPOOL_FULL'
  // larger than the whole quota: it will never fit, waiting for room does not help
  | 'SPOOL_RECORD_TOO_LARGE'
  | 'SPOOL_CLOSED'
  // another process holds the spool's database (one spool, one ingest)
  | 'SPOOL_LOCKED'
  | 'SPOOL_OPTIONS_INVALID'
  // the group's commit failed (disk error); none of its records were stored
  | 'SPOOL_WRITE_FAILED';

/** The spool's one error type, shaped like the API's DomainError: a string-literal code. */
export class SpoolError<C extends SpoolErrorCode = SpoolErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpoolError';
  }
}

export class SpoolFullError extends SpoolError<'SPOOL_FULL'> {
  constructor(
    readonly pendingBytes: number,
    readonly quotaBytes: number,
  ) {
    super('SPOOL_FULL', `spool full: ${pendingBytes} of ${quotaBytes} bytes pending`);
    this.name = 'SpoolFullError';
  }
}

import { DomainError } from '../platform/domain-error';

export type TicketErrorCode =
  | 'TICKET_NOT_FOUND'
  | 'TICKET_INVALID'
  | 'TICKET_TRANSITION_INVALID'
  | 'TICKET_EVENT_INVALID'
  | 'TICKET_FINGERPRINT_OPEN'
  | 'VALIDATION_FAILED'
  | 'CURSOR_INVALID';

export class TicketError extends DomainError<TicketErrorCode> {}

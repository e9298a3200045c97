// GET /notices: the keyset cursor. Order: newest first (opened_at DESC, id DESC); the cursor is
// the last row's sort key, opaque to clients, as for the devices and tickets lists.
import { DomainError } from '../platform/domain-error';

/** The sort key of a notice: when it opened (epoch ms) and its id (a uuid). */
export interface NoticeKey {
  readonly openedAt: number;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeNoticeCursor(key: NoticeKey): string {
  return Buffer.from(JSON.stringify([key.openedAt, key.id]), 'utf8').toString('base64url');
}

/** The key a cursor carries; anything this API did not issue is the client's mistake (400). */
export function decodeNoticeCursor(cursor: string): NoticeKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [openedAt, id] = value as unknown[];
      if (Number.isSafeInteger(openedAt) && typeof id === 'string' && UUID.test(id)) {
        return { openedAt: openedAt as number, id };
      }
    }
  } catch {
    // fall through: any undecodable cursor is the client's mistake
  }
  throw new DomainError('CURSOR_INVALID', 'cursor: not a cursor this API issued');
}

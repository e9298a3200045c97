import { DomainError } from '../platform/domain-error';
import { decodeNoticeCursor, encodeNoticeCursor } from './notice-query.rules';

const KEY = {
  openedAt: Date.parse('2026-03-02T08:12:40.120Z'),
  id: '1f4c2a8e-0b1d-4c3e-9f00-6a7b8c9d0e1f',
};

describe('the notices cursor', () => {
  it('carries the last row of a page to the next request unchanged', () => {
    const cursor = encodeNoticeCursor(KEY);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/); // safe in a query string as is
    expect(decodeNoticeCursor(cursor)).toEqual(KEY);
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON of another shape', Buffer.from('{"after":"x"}').toString('base64url')],
    ['a time that is no integer', Buffer.from(JSON.stringify([1.5, KEY.id])).toString('base64url')],
    [
      'an id that is no uuid',
      Buffer.from(JSON.stringify([KEY.openedAt, 'gd-1'])).toString('base64url'),
    ],
    ['a tickets cursor', Buffer.from(JSON.stringify([null, 1, KEY.id])).toString('base64url')],
  ])('refuses %s as CURSOR_INVALID (400)', (_label, cursor) => {
    let error: unknown;
    try {
      decodeNoticeCursor(cursor);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'CURSOR_INVALID',
      message: 'cursor: not a cursor this API issued',
    });
  });
});

import fc from 'fast-check';
import { decodeCursor, encodeCursor, listSql, parseListQuery } from './ticket-query.rules';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('list query', () => {
  it('round-trips every cursor', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 4e12 }), { nil: null }),
        fc.integer({ min: 0, max: 4e12 }),
        fc.uuid(),
        (nextDueAt, createdAt, id) => {
          const key = { nextDueAt, createdAt, id };
          expect(decodeCursor(encodeCursor(key))).toEqual(key);
        },
      ),
    );
  });

  it.each([
    '',
    'nope',
    Buffer.from('[1,2]').toString('base64url'),
    Buffer.from('["a",1,"x"]').toString('base64url'),
  ])('refuses the cursor %j', (cursor) => {
    expect(codeOf(() => decodeCursor(cursor))).toBe('CURSOR_INVALID');
  });

  it.each([
    [{}, { status: null, severity: null, limit: 50 }],
    [{ status: 'open' }, { status: 'open' }],
    [{ status: 'new,closed,new' }, { status: ['new', 'closed'] }],
    [
      { severity: 'red, green', limit: 200 },
      { severity: ['red', 'green'], limit: 200 },
    ],
    [
      { breached: 'false' as const, atRisk: 'true' as const },
      { breached: false, atRisk: true },
    ],
  ])('parses %j', (query, expected) => {
    expect(parseListQuery(query)).toMatchObject(expected);
  });

  it.each([{ status: 'open,new' }, { status: 'lost' }, { severity: 'purple' }])(
    'refuses %j',
    (query) => {
      expect(codeOf(() => parseListQuery(query))).toBe('VALIDATION_FAILED');
    },
  );

  it('keeps the open filter literal (the partial index) and everything else a parameter', () => {
    const { sql, params } = listSql(
      parseListQuery({ status: 'open', site: "x'; DROP TABLE ticket; --", limit: 10 }),
      'id',
    );
    expect(sql).toBe(
      "SELECT id FROM ticket WHERE status NOT IN ('closed', 'cancelled') AND site_id = $1" +
        " ORDER BY COALESCE(next_due_at, 'infinity'::timestamptz), created_at, id LIMIT $2",
    );
    expect(params).toEqual(["x'; DROP TABLE ticket; --", 11]);
  });
});

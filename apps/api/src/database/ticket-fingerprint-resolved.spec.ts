import type { QueryRunner } from 'typeorm';
import { FINGERPRINT_FREE_STATUSES } from '../tickets/ticket-events.rules';
import { MIGRATIONS } from './data-source';
import { TicketFingerprintResolved1767226100000 } from './migrations/1767226100000-ticket-fingerprint-resolved';

/** The SQL a migration step runs, captured without a database. */
async function sqlOf(step: (q: QueryRunner) => Promise<void>): Promise<string[]> {
  const run: string[] = [];
  await step({
    query: (text: string) => {
      run.push(text.replace(/\s+/g, ' ').trim());
      return Promise.resolve([]);
    },
  } as unknown as QueryRunner);
  return run;
}

/** The statuses a `status NOT IN (...)` predicate leaves out, in order. */
const excluded = (sql: string): string[] =>
  [...(/status NOT IN \(([^)]*)\)/.exec(sql)?.[1] ?? '').matchAll(/'([a-z_]+)'/g)].map(
    (m) => m[1] as string,
  );

describe('migration TicketFingerprintResolved1767226100000', () => {
  const migration = new TicketFingerprintResolved1767226100000();

  it('rebuilds the fingerprint index over the statuses that free a fingerprint, resolved included', async () => {
    const [drop, create] = await sqlOf((q) => migration.up(q));
    expect(drop).toBe('DROP INDEX ticket_open_fingerprint');
    expect(create).toMatch(
      /^CREATE UNIQUE INDEX ticket_open_fingerprint ON ticket \(fingerprint\)/,
    );
    expect(excluded(create ?? '')).toEqual([...FINGERPRINT_FREE_STATUSES]);
    expect(FINGERPRINT_FREE_STATUSES).toContain('resolved');
  });

  it('down restores the index that only closed and cancelled free', async () => {
    const [drop, create] = await sqlOf((q) => migration.down(q));
    expect(drop).toBe('DROP INDEX ticket_open_fingerprint');
    expect(excluded(create ?? '')).toEqual(['closed', 'cancelled']);
  });

  it('is one of the committed migrations, after the initial schema that made the index', () => {
    const names = MIGRATIONS.map((m) => m.name);
    expect(names.indexOf('TicketFingerprintResolved1767226100000')).toBeGreaterThan(
      names.indexOf('InitialSchema1767225600000'),
    );
  });
});

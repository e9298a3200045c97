import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The health rules look up the latest resolved or closed ticket of a fingerprint before opening
 * one (flap folding); the fingerprint index covers open tickets only, so that lookup scanned the
 * whole ticket history (2.6 ms at 10k tickets, ~100 ms at 500k, per ticket opened; found by
 * bench/rules). Never edit once landed.
 */
export class TicketFingerprintHistory1767225900000 implements MigrationInterface {
  name = 'TicketFingerprintHistory1767225900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ticket_fingerprint_updated ON ticket (fingerprint, updated_at) WHERE fingerprint IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ticket_fingerprint_updated`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A resolved ticket (the customer confirmed the repair) frees its fingerprint like a closed or
 * cancelled one: a new outage after it is a new ticket, not an occurrence counted on the resolved
 * one (issue #6; the health rules reopen it instead only within their flap cool-down). The list
 * is FINGERPRINT_FREE_STATUSES in ticket-events.rules.ts. Never edit once landed.
 *
 * `down` restores the older index; it fails (unique violation) while a resolved ticket and an
 * open one share a fingerprint, which only the new rule allows: close or cancel one of them first.
 */
export class TicketFingerprintResolved1767226100000 implements MigrationInterface {
  name = 'TicketFingerprintResolved1767226100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ticket_open_fingerprint`);
    await q.query(`
      CREATE UNIQUE INDEX ticket_open_fingerprint ON ticket (fingerprint)
        WHERE fingerprint IS NOT NULL AND status NOT IN ('resolved', 'closed', 'cancelled')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ticket_open_fingerprint`);
    await q.query(`
      CREATE UNIQUE INDEX ticket_open_fingerprint ON ticket (fingerprint)
        WHERE fingerprint IS NOT NULL AND status NOT IN ('closed', 'cancelled')`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replenishment notices (issue #6): a dispenser's stock empty is a logistics record, not a
 * repair ticket. One open notice per (device, code): every report while it is open counts on it;
 * stock above empty again clears it, and the next empty spell is a new row. Never edit once
 * landed; add a new migration instead (STYLE.md).
 */
export class DeviceNotice1767226000000 implements MigrationInterface {
  name = 'DeviceNotice1767226000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE device_notice (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        device_id    text NOT NULL REFERENCES device(id),
        site_id      text NOT NULL REFERENCES site(id),
        code         text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
        opened_at    timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        count        integer NOT NULL DEFAULT 1 CHECK (count >= 1),
        cleared_at   timestamptz,
        CHECK (last_seen_at >= opened_at),
        CHECK (cleared_at IS NULL OR cleared_at >= opened_at)
      )`);
    // at most one open notice per device and code; also the index the rule loop writes through
    await q.query(`
      CREATE UNIQUE INDEX device_notice_open ON device_notice (device_id, code)
        WHERE cleared_at IS NULL`);
    // the list: a site's notices, newest first
    await q.query(`CREATE INDEX device_notice_site ON device_notice (site_id, opened_at DESC, id)`);
    await q.query(`CREATE INDEX device_notice_opened ON device_notice (opened_at DESC, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE device_notice`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device health (issue #6): the rules engine's per-device snapshot, maintenance windows and the
 * audit of what they suppressed. Never edit once landed; add a new migration instead (STYLE.md).
 */
export class DeviceHealth1767225700000 implements MigrationInterface {
  name = 'DeviceHealth1767225700000';

  async up(q: QueryRunner): Promise<void> {
    // Written by the rules engine in batches every few seconds and read back at its start
    // (restart safety). No row: never seen since tracking began.
    await q.query(`
      CREATE TABLE device_health (
        device_id    text PRIMARY KEY REFERENCES device(id) ON DELETE CASCADE,
        last_seen_at timestamptz,
        state        text NOT NULL CHECK (state IN ('ok', 'missing', 'unknown')),
        state_since  timestamptz NOT NULL,
        missed_beats integer NOT NULL DEFAULT 0 CHECK (missed_beats >= 0),
        updated_at   timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX device_health_state ON device_health (state)`);

    // A window covers one device or a whole site. Ending one early sets ended_at/ended_by and
    // keeps ends_at as planned: the window is over at LEAST(ends_at, ended_at).
    await q.query(`
      CREATE TABLE maintenance_window (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        site_id    text REFERENCES site(id),
        device_id  text REFERENCES device(id),
        starts_at  timestamptz NOT NULL,
        ends_at    timestamptz NOT NULL,
        reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        ended_at   timestamptz,
        ended_by   text,
        CHECK ((site_id IS NULL) <> (device_id IS NULL)),
        CHECK (ends_at > starts_at),
        CHECK ((ended_at IS NULL) = (ended_by IS NULL))
      )`);
    // "Active at t for device d or site s": ends_at > t narrows to current and future windows
    // of that device or site; starts_at and ended_at are checked on the few rows left.
    await q.query(`
      CREATE INDEX maintenance_window_device ON maintenance_window (device_id, ends_at)
        WHERE device_id IS NOT NULL`);
    await q.query(`
      CREATE INDEX maintenance_window_site ON maintenance_window (site_id, ends_at)
        WHERE site_id IS NOT NULL`);
    // every window active at t or starting soon (the rules engine's cache)
    await q.query(`CREATE INDEX maintenance_window_ends ON maintenance_window (ends_at)`);
    await q.query(`CREATE INDEX maintenance_window_created ON maintenance_window (created_at, id)`);

    // One row per (window, fingerprint): the ticket a window kept from opening, counted like
    // the ticket it replaces (a burst of identical faults is one row with its count). The
    // unique index leads with window_id: it is also the index for a window's audit.
    await q.query(`
      CREATE TABLE maintenance_suppression (
        id          bigserial PRIMARY KEY,
        window_id   uuid NOT NULL REFERENCES maintenance_window(id),
        device_id   text REFERENCES device(id),
        site_id     text NOT NULL REFERENCES site(id),
        rule        text NOT NULL CHECK (length(rule) BETWEEN 1 AND 64),
        fingerprint text NOT NULL CHECK (length(fingerprint) BETWEEN 1 AND 200),
        at          timestamptz NOT NULL,
        last_at     timestamptz NOT NULL,
        occurrences integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
        CHECK (last_at >= at),
        UNIQUE (window_id, fingerprint)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE maintenance_suppression`);
    await q.query(`DROP TABLE maintenance_window`);
    await q.query(`DROP TABLE device_health`);
  }
}

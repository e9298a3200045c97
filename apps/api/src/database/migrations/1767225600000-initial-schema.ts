import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole first schema: API tokens, registry, tickets with their event log and milestone
 * rows, spare-parts stock with its ledger and reservations. Never edit once landed; add a new
 * migration instead (STYLE.md).
 */
export class InitialSchema1767225600000 implements MigrationInterface {
  name = 'InitialSchema1767225600000';

  async up(q: QueryRunner): Promise<void> {
    // ---- auth: bearer tokens, stored as SHA-256 of a 256-bit secret -------------------------
    await q.query(`
      CREATE TABLE api_token (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role          text NOT NULL CHECK (role IN ('admin', 'engineer', 'viewer', 'device-service')),
        secret_sha256 char(64) NOT NULL UNIQUE,
        created_at    timestamptz NOT NULL DEFAULT now(),
        created_by    text NOT NULL,
        revoked_at    timestamptz,
        revoked_by    text,
        last_used_at  timestamptz
      )`);

    // ---- registry ------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE site (
        id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        zone        text NOT NULL CHECK (zone IN ('city', 'suburb', 'remote')),
        timezone    text NOT NULL,
        region      text NOT NULL CHECK (region ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        created_at  timestamptz NOT NULL DEFAULT now(),
        created_by  text NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        updated_by  text NOT NULL
      )`);
    await q.query(`
      CREATE TABLE device (
        id                text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        kind              text NOT NULL,
        model             text NOT NULL CHECK (length(model) BETWEEN 1 AND 100),
        serial            text NOT NULL CHECK (length(serial) BETWEEN 1 AND 100),
        site_id           text NOT NULL REFERENCES site(id),
        room              text CHECK (length(room) <= 100),
        parent_id         text REFERENCES device(id),
        criticality       text NOT NULL DEFAULT 'normal' CHECK (criticality IN ('critical', 'high', 'normal', 'low')),
        install_date      date NOT NULL,
        warranty_end      date NOT NULL,
        status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
        secret_sha256     char(64) NOT NULL,
        secret_rotated_at timestamptz NOT NULL DEFAULT now(),
        created_at        timestamptz NOT NULL DEFAULT now(),
        created_by        text NOT NULL,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        updated_by        text NOT NULL,
        CHECK (parent_id IS NULL OR parent_id <> id)
      )`);
    await q.query(`CREATE INDEX device_site_kind_status ON device (site_id, kind, status, id)`);
    await q.query(`CREATE INDEX device_parent ON device (parent_id) WHERE parent_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX device_serial ON device (model, serial)`);
    // What a broker needs to authenticate a device, readable with one plain SQL query
    // (docs/api.md "Device credentials"): SELECT * FROM device_credential WHERE device_id = $1
    await q.query(`
      CREATE VIEW device_credential AS
        SELECT id AS device_id, secret_sha256, site_id, kind, status, secret_rotated_at
          FROM device`);

    // ---- tickets ---------------------------------------------------------------------------
    // Ticket numbers (T-2026-000123): a sequence never blocks concurrent openings, unlike a
    // counter row; like any sequence it may leave a gap when an opening fails.
    await q.query(`CREATE SEQUENCE ticket_number_seq`);
    await q.query(`
      CREATE TABLE ticket (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number          text NOT NULL UNIQUE,
        severity        text NOT NULL CHECK (severity IN ('red', 'yellow', 'green')),
        title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        description     text CHECK (length(description) <= 10000),
        category        text NOT NULL CHECK (length(category) BETWEEN 1 AND 64),
        device_id       text REFERENCES device(id),
        site_id         text NOT NULL REFERENCES site(id),
        zone            text NOT NULL CHECK (zone IN ('city', 'suburb', 'remote')),
        source          text NOT NULL CHECK (source IN ('hotline', 'portal', 'health-rule', 'api')),
        fingerprint     text CHECK (length(fingerprint) <= 200),
        status          text NOT NULL,
        policy_id       text NOT NULL,
        policy_version  integer NOT NULL,
        occurrences     integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
        event_count     integer NOT NULL DEFAULT 0,
        created_at      timestamptz NOT NULL,
        created_by      text NOT NULL,
        updated_at      timestamptz NOT NULL,
        acknowledged_at timestamptz,
        responded_at    timestamptz,
        restored_at     timestamptz,
        restored_how    text,
        resolved_at     timestamptz,
        closed_at       timestamptz,
        cancelled_at    timestamptz,
        next_due_at     timestamptz,
        next_change_at  timestamptz,
        breached        boolean NOT NULL DEFAULT false,
        at_risk         boolean NOT NULL DEFAULT false,
        sla_computed_at timestamptz
      )`);
    // contract: a fingerprint (device or site, rule, code) is unique among open tickets
    await q.query(`
      CREATE UNIQUE INDEX ticket_open_fingerprint ON ticket (fingerprint)
        WHERE fingerprint IS NOT NULL AND status NOT IN ('closed', 'cancelled')`);
    // GET /tickets order: next due first (none last), then oldest; keyset pages on the same key
    await q.query(`
      CREATE INDEX ticket_due_order ON ticket
        ((COALESCE(next_due_at, 'infinity'::timestamptz)), created_at, id)`);
    await q.query(`
      CREATE INDEX ticket_open_due_order ON ticket
        ((COALESCE(next_due_at, 'infinity'::timestamptz)), created_at, id)
        WHERE status NOT IN ('closed', 'cancelled')`);
    await q.query(`CREATE INDEX ticket_created ON ticket (created_at, site_id)`);
    await q.query(`CREATE INDEX ticket_site ON ticket (site_id, status)`);
    await q.query(
      `CREATE INDEX ticket_device ON ticket (device_id, status) WHERE device_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX ticket_next_change ON ticket (next_change_at) WHERE next_change_at IS NOT NULL`,
    );
    // Append-only: the event log is the truth; milestones are recomputed from it.
    await q.query(`
      CREATE TABLE ticket_event (
        id          bigserial PRIMARY KEY,
        ticket_id   uuid NOT NULL REFERENCES ticket(id),
        seq         integer NOT NULL,
        type        text NOT NULL,
        at          timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        actor       text NOT NULL,
        payload     jsonb NOT NULL DEFAULT '{}',
        UNIQUE (ticket_id, seq)
      )`);
    await q.query(`
      CREATE FUNCTION ticket_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ticket_event is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER ticket_event_no_change BEFORE UPDATE OR DELETE ON ticket_event
        FOR EACH ROW EXECUTE FUNCTION ticket_event_append_only()`);
    await q.query(`
      CREATE TABLE ticket_milestone (
        ticket_id        uuid NOT NULL REFERENCES ticket(id),
        key              text NOT NULL,
        code             text NOT NULL,
        scope            text NOT NULL,
        scope_id         text,
        kind             text NOT NULL,
        state            text NOT NULL,
        started_at       timestamptz,
        due_at           timestamptz,
        original_due_at  timestamptz,
        met_at           timestamptz,
        breached_at      timestamptz,
        lateness_ms      bigint,
        paused_ms        bigint NOT NULL DEFAULT 0,
        next_warning_at  timestamptz,
        forecast_at      timestamptz,
        at_risk          boolean NOT NULL DEFAULT false,
        severity         text,
        PRIMARY KEY (ticket_id, key)
      )`);
    await q.query(`CREATE INDEX ticket_milestone_state_due ON ticket_milestone (state, due_at)`);
    // What the scheduler announced (warning points, breaches): once each, whatever the restarts.
    await q.query(`
      CREATE TABLE sla_alert (
        id            bigserial PRIMARY KEY,
        ticket_id     uuid NOT NULL REFERENCES ticket(id),
        milestone_key text NOT NULL,
        kind          text NOT NULL,
        due_at        timestamptz NOT NULL,
        raised_at     timestamptz NOT NULL,
        UNIQUE (ticket_id, milestone_key, kind)
      )`);

    // ---- spare parts -------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE part (
        part_number  text PRIMARY KEY CHECK (part_number ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        class        text NOT NULL CHECK (class IN ('common', 'special')),
        default_tier text NOT NULL CHECK (default_tier IN ('hospital', 'regional', 'national')),
        fits_kinds   text[] NOT NULL DEFAULT '{}',
        fits_models  text[] NOT NULL DEFAULT '{}',
        created_at   timestamptz NOT NULL DEFAULT now(),
        created_by   text NOT NULL
      )`);
    await q.query(`
      CREATE TABLE store (
        id        text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        tier      text NOT NULL CHECK (tier IN ('hospital', 'regional', 'national')),
        site_id   text REFERENCES site(id),
        region    text,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NOT NULL,
        CHECK ((tier = 'hospital') = (site_id IS NOT NULL)),
        CHECK ((tier = 'regional') = (region IS NOT NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX store_hospital_site ON store (site_id) WHERE tier = 'hospital'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX store_regional_region ON store (region) WHERE tier = 'regional'`,
    );
    await q.query(`CREATE UNIQUE INDEX store_national ON store (tier) WHERE tier = 'national'`);
    await q.query(`
      CREATE TABLE stock (
        part_number   text NOT NULL REFERENCES part(part_number),
        store_id      text NOT NULL REFERENCES store(id),
        on_hand       integer NOT NULL DEFAULT 0,
        reserved      integer NOT NULL DEFAULT 0,
        reorder_point integer CHECK (reorder_point >= 0),
        reorder_qty   integer CHECK (reorder_qty > 0),
        PRIMARY KEY (part_number, store_id),
        CHECK (on_hand >= 0),
        CHECK (reserved >= 0 AND reserved <= on_hand)
      )`);
    await q.query(`
      CREATE TABLE reservation (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        ticket_id       uuid NOT NULL REFERENCES ticket(id),
        part_number     text NOT NULL REFERENCES part(part_number),
        qty             integer NOT NULL CHECK (qty BETWEEN 1 AND 1000),
        status          text NOT NULL CHECK (status IN ('reserved', 'backordered', 'delivered', 'consumed', 'released')),
        store_id        text REFERENCES store(id),
        tier            text CHECK (tier IN ('hospital', 'regional', 'national')),
        eta             timestamptz,
        created_at      timestamptz NOT NULL,
        created_by      text NOT NULL,
        updated_at      timestamptz NOT NULL,
        delivered_at    timestamptz,
        consumed_at     timestamptz,
        released_at     timestamptz,
        release_reason  text CHECK (length(release_reason) BETWEEN 1 AND 500),
        -- a backorder holds no store; a released backorder keeps none; the rest name their store
        CHECK (CASE status WHEN 'backordered' THEN store_id IS NULL
                           WHEN 'released' THEN true
                           ELSE store_id IS NOT NULL END),
        CHECK ((store_id IS NULL) = (tier IS NULL) AND (store_id IS NULL) = (eta IS NULL))
      )`);
    await q.query(`CREATE INDEX reservation_ticket ON reservation (ticket_id)`);
    await q.query(`CREATE INDEX reservation_part ON reservation (part_number, status)`);
    await q.query(
      `CREATE INDEX reservation_open ON reservation (status, tier) WHERE status IN ('reserved', 'backordered', 'delivered')`,
    );
    // Append-only ledger of every stock change.
    await q.query(`
      CREATE TABLE stock_move (
        id             bigserial PRIMARY KEY,
        part_number    text NOT NULL REFERENCES part(part_number),
        store_id       text NOT NULL REFERENCES store(id),
        type           text NOT NULL CHECK (type IN ('receive', 'reserve', 'release', 'consume', 'transfer_out', 'transfer_in', 'return', 'adjust')),
        qty            integer NOT NULL CHECK (qty <> 0),
        reservation_id uuid REFERENCES reservation(id),
        at             timestamptz NOT NULL,
        actor          text NOT NULL,
        note           text CHECK (length(note) <= 1000)
      )`);
    await q.query(`CREATE INDEX stock_move_part_store ON stock_move (part_number, store_id, at)`);
    await q.query(`CREATE INDEX stock_move_store ON stock_move (store_id, id)`);
    await q.query(`
      CREATE FUNCTION stock_move_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'stock_move is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER stock_move_no_change BEFORE UPDATE OR DELETE ON stock_move
        FOR EACH ROW EXECUTE FUNCTION stock_move_append_only()`);
    await q.query(`
      CREATE TABLE replenishment_request (
        id          bigserial PRIMARY KEY,
        part_number text NOT NULL REFERENCES part(part_number),
        store_id    text NOT NULL REFERENCES store(id),
        qty         integer NOT NULL CHECK (qty > 0),
        on_hand     integer NOT NULL,
        reorder_point integer NOT NULL,
        status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ordered', 'received', 'cancelled')),
        created_at  timestamptz NOT NULL,
        created_by  text NOT NULL,
        updated_at  timestamptz NOT NULL,
        updated_by  text NOT NULL
      )`);
    await q.query(`
      CREATE UNIQUE INDEX replenishment_open ON replenishment_request (part_number, store_id)
        WHERE status IN ('open', 'ordered')`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'replenishment_request',
      'stock_move',
      'reservation',
      'stock',
      'store',
      'part',
      'sla_alert',
      'ticket_milestone',
      'ticket_event',
      'ticket',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
    await q.query(`DROP SEQUENCE ticket_number_seq`);
    await q.query(`DROP FUNCTION stock_move_append_only()`);
    await q.query(`DROP FUNCTION ticket_event_append_only()`);
    await q.query(`DROP VIEW device_credential`);
    await q.query(`DROP TABLE device`);
    await q.query(`DROP TABLE site`);
    await q.query(`DROP TABLE api_token`);
  }
}

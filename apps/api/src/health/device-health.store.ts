import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TrackedState } from './device-health.rules';

/**
 * One device's snapshot as the rules engine keeps it (the shape of its HealthSnapshotRow).
 * Instants are integer epoch milliseconds, as the engine holds them: no Date per device on the
 * snapshot path.
 */
export interface DeviceHealthRow {
  readonly deviceId: string;
  /** null: never seen since tracking began. */
  readonly lastSeenAt: number | null;
  readonly state: TrackedState;
  readonly stateSince: number;
  readonly missedBeats: number;
}

/** A stored row: the snapshot and when it was written. */
export interface StoredDeviceHealth extends DeviceHealthRow {
  readonly updatedAt: number;
}

// integer ms <-> timestamptz, exact both ways (timestamptz holds microseconds)
const FROM_MS = (column: string) => `'epoch'::timestamptz + ${column} * interval '1 millisecond'`;
const TO_MS = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * `device_health`, the rules engine's snapshot: written in batches, read back whole at its start
 * (restart safety). Its only writer is the process that owns the rule loop.
 */
@Injectable()
export class DeviceHealthStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts or replaces the rows, stamped `updatedAt` (epoch ms), in one statement whatever
   * their number (five arrays through unnest). A device id may appear once per call (twice
   * fails the call: one statement updates a row once). Rows of devices not in the registry are
   * skipped, so a device deleted meanwhile cannot fail the whole batch. Resolves to the number
   * of rows written.
   */
  async upsertMany(rows: readonly DeviceHealthRow[], updatedAt: number): Promise<number> {
    if (rows.length === 0) return 0;
    const n = rows.length;
    const ids = new Array<string>(n);
    const lastSeen = new Array<number | null>(n);
    const states = new Array<string>(n);
    const since = new Array<number>(n);
    const missed = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i] as DeviceHealthRow;
      ids[i] = r.deviceId;
      lastSeen[i] = r.lastSeenAt;
      states[i] = r.state;
      since[i] = r.stateSince;
      missed[i] = r.missedBeats;
    }
    const written = await this.dataSource.query<{ n: number }[]>(
      `WITH written AS (
         INSERT INTO device_health
           (device_id, last_seen_at, state, state_since, missed_beats, updated_at)
         SELECT r.device_id, ${FROM_MS('r.last_seen')}, r.state, ${FROM_MS('r.since')},
                r.missed, ${FROM_MS('$6::bigint')}
           FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::int[])
                AS r(device_id, last_seen, state, since, missed)
           JOIN device d ON d.id = r.device_id
         ON CONFLICT (device_id) DO UPDATE SET
           last_seen_at = EXCLUDED.last_seen_at,
           state        = EXCLUDED.state,
           state_since  = EXCLUDED.state_since,
           missed_beats = EXCLUDED.missed_beats,
           updated_at   = EXCLUDED.updated_at
         RETURNING 1)
       SELECT count(*)::int AS n FROM written`,
      [ids, lastSeen, states, since, missed, updatedAt],
    );
    return written[0]?.n ?? 0;
  }

  /** Every row, in no particular order. */
  loadAll(): Promise<StoredDeviceHealth[]> {
    return this.dataSource.query<StoredDeviceHealth[]>(
      `SELECT device_id AS "deviceId", ${TO_MS('last_seen_at')} AS "lastSeenAt", state,
              ${TO_MS('state_since')} AS "stateSince", missed_beats AS "missedBeats",
              ${TO_MS('updated_at')} AS "updatedAt"
         FROM device_health`,
    );
  }
}

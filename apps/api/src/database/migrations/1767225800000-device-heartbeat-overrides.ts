import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-device overrides of the kind's heartbeat interval and misses (the contract's table is the
 * default; a device on a slow link may be given more room). Never edit once landed.
 */
export class DeviceHeartbeatOverrides1767225800000 implements MigrationInterface {
  name = 'DeviceHeartbeatOverrides1767225800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE device
        ADD COLUMN heartbeat_interval_s integer CHECK (heartbeat_interval_s BETWEEN 1 AND 86400),
        ADD COLUMN misses_before_missing integer CHECK (misses_before_missing BETWEEN 1 AND 1000)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE device DROP COLUMN heartbeat_interval_s, DROP COLUMN misses_before_missing`,
    );
  }
}

import { startTestApi } from '../../test/harness';
import type { TestApi } from '../../test/harness';
import { GRAFANA_ROLE, hideSecretsStatements, showSecretsStatements } from './grafana-role';
import { GrafanaRoleSecrets1767226050000 } from './migrations/1767226050000-grafana-role-secrets';

interface Access {
  api_token: boolean;
  device_credential: boolean;
  /** SELECT on the whole table, secret_sha256 included. */
  device: boolean;
  secret_sha256: boolean;
  /** SELECT on every column of device but secret_sha256. */
  other_columns: boolean;
  /** Columns of device with a grant of their own. */
  column_grants: number;
}

/**
 * A deployment made before the migration: its orfleet_grafana role reads every table, the
 * secret hashes included (roles are per cluster; no other test file of the run makes this one).
 */
describe('migration GrafanaRoleSecrets1767226050000', () => {
  let t: TestApi;

  const access = async (): Promise<Access> => {
    const [row] = await t.sql<Access>(
      `SELECT has_table_privilege($1, 'public.api_token', 'SELECT') AS api_token,
              has_table_privilege($1, 'public.device_credential', 'SELECT') AS device_credential,
              has_table_privilege($1, 'public.device', 'SELECT') AS device,
              has_column_privilege($1, 'public.device', 'secret_sha256', 'SELECT') AS secret_sha256,
              (SELECT bool_and(has_column_privilege($1, 'public.device', attname, 'SELECT'))
                 FROM pg_attribute
                WHERE attrelid = 'public.device'::regclass AND attnum > 0 AND NOT attisdropped
                  AND attname <> 'secret_sha256') AS other_columns,
              (SELECT count(*)::int FROM pg_attribute
                WHERE attrelid = 'public.device'::regclass AND attacl IS NOT NULL) AS column_grants`,
      [GRAFANA_ROLE],
    );
    return row!;
  };
  const everything: Access = {
    api_token: true,
    device_credential: true,
    device: true,
    secret_sha256: true,
    other_columns: true,
    column_grants: 0,
  };

  beforeAll(async () => {
    t = await startTestApi();
    await t.sql(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${GRAFANA_ROLE}') THEN
        CREATE ROLE ${GRAFANA_ROLE} LOGIN;
      END IF;
    END $$`);
    await t.sql(`GRANT USAGE ON SCHEMA public TO ${GRAFANA_ROLE}`);
    await t.sql(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${GRAFANA_ROLE}`);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('hides the secret hashes from a role made before it, and goes down and up again', async () => {
    expect(await access()).toEqual(everything);
    const runner = t.api.dataSource.createQueryRunner();
    const migration = new GrafanaRoleSecrets1767226050000();
    try {
      await migration.up(runner);
      const hidden = await access();
      expect(hidden).toEqual({
        api_token: false,
        device_credential: false,
        device: false,
        secret_sha256: false,
        other_columns: true,
        column_grants: expect.any(Number),
      });
      expect(hidden.column_grants).toBeGreaterThan(10);
      // idempotent: the SQL runs again (psql, the board proofs) without widening anything
      await migration.up(runner);
      expect(await access()).toEqual(hidden);
      await migration.down(runner);
      // the grants as they were: table-level SELECT, no column grants left behind
      expect(await access()).toEqual(everything);
    } finally {
      await migration.up(runner);
      await runner.release();
    }
    expect(await access()).toMatchObject({ api_token: false, device: false, other_columns: true });
  });

  it('leaves a database without the role as it is', async () => {
    const runner = t.api.dataSource.createQueryRunner();
    try {
      for (const statement of [
        ...hideSecretsStatements('orfleet_nobody'),
        ...showSecretsStatements('orfleet_nobody'),
      ]) {
        await expect(runner.query(statement)).resolves.toBeDefined();
      }
    } finally {
      await runner.release();
    }
    const [role] = await t.sql<{ count: string }>(
      `SELECT count(*) FROM pg_roles WHERE rolname = 'orfleet_nobody'`,
    );
    expect(role?.count).toBe('0');
  });
});

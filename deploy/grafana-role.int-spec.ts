import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { GRAFANA_ROLE, hideSecretsStatements } from '../apps/api/src/database/grafana-role';
import { startTestApi } from '../apps/api/test/harness';
import type { TestApi } from '../apps/api/test/harness';

const run = promisify(execFile);
const script = path.resolve(__dirname, 'postgres/initdb/10-orfleet-grafana.sh');
const psql = path.resolve(__dirname, 'postgres/initdb/orfleet-grafana.psql');

describe('deploy/postgres/initdb/orfleet-grafana.psql', () => {
  it('hides the secrets with the SQL the migration and the board proofs run, verbatim', () => {
    const sql = hideSecretsStatements(GRAFANA_ROLE)
      .map((statement) => `${statement};\n`)
      .join('');
    expect(readFileSync(psql, 'utf8')).toContain(sql);
  });
});

describe('deploy/postgres/initdb/10-orfleet-grafana.sh', () => {
  let dir: string;
  beforeAll(() => {
    // a psql that records its arguments: what matters here is how the script calls it
    dir = mkdtempSync(path.join(tmpdir(), 'orfleet-initdb-'));
    writeFileSync(path.join(dir, 'psql'), '#!/bin/sh\nprintf "%s\\n" "$@" > "$PSQL_ARGS"\n', {
      mode: 0o755,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // docker-entrypoint.sh sources a *.sh without the mode bit into its own bash (set -Eeo
  // pipefail), where $0 is the entrypoint, not the script
  const sourced = (env: Record<string, string>) =>
    run(
      'bash',
      ['-c', 'set -Eeo pipefail; . "$1"; echo "after, flags $-"', 'docker-entrypoint.sh', script],
      {
        cwd: dir,
        env: {
          PATH: `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
          PSQL_ARGS: path.join(dir, 'args'),
          POSTGRES_USER: 'orfleet',
          POSTGRES_DB: 'orfleet',
          ...env,
        },
      },
    );

  it('finds its SQL and leaves the shell options alone when sourced', async () => {
    const { stdout } = await sourced({ ORFLEET_GRAFANA_PG_PASSWORD: 'x' });
    const args = readFileSync(path.join(dir, 'args'), 'utf8').split('\n');
    expect(args[args.indexOf('-f') + 1]).toBe(psql);
    expect(args).toContain('grafana_password=x');
    expect(stdout).toMatch(/^after, flags [^u]*$/m);
  });

  it('stops the start without the Grafana password, sourced too', async () => {
    await expect(sourced({})).rejects.toMatchObject({
      stderr: expect.stringMatching(/set ORFLEET_GRAFANA_PG_PASSWORD in deploy\/postgres.env/),
      stdout: '',
    });
  });
});

/**
 * The postgres service's first start, replayed on a real PostgreSQL: the database owner is a
 * superuser `orfleet` (as POSTGRES_USER makes it), the init script runs through psql before any
 * table exists, then the API's migrations create the schema as that owner. orfleet_grafana must
 * read every table and view but the secret hashes, and change nothing.
 */
describe('deploy/postgres/initdb: the read-only orfleet_grafana role', () => {
  let t: TestApi;
  let grafana: Client;
  let ownerUrl: URL;

  beforeAll(async () => {
    const base = process.env['ORFLEET_TEST_PG_URL'];
    if (base === undefined)
      throw new Error('ORFLEET_TEST_PG_URL unset: run through jest globalSetup');
    const admin = new Client({ connectionString: base });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE orfleet WITH SUPERUSER LOGIN PASSWORD 'owner-secret'`);
      await admin.query('CREATE DATABASE orfleet_deploy OWNER orfleet');
    } finally {
      await admin.end();
    }
    ownerUrl = new URL(base);
    ownerUrl.username = 'orfleet';
    ownerUrl.password = 'owner-secret';
    ownerUrl.pathname = '/orfleet_deploy';
    // what the postgres image does with *.sh in /docker-entrypoint-initdb.d
    await run('sh', [script], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        POSTGRES_USER: 'orfleet',
        POSTGRES_DB: 'orfleet_deploy',
        ORFLEET_GRAFANA_PG_PASSWORD: "grafana 'secret'",
        PGHOST: ownerUrl.hostname,
        PGPORT: ownerUrl.port,
        PGPASSWORD: 'owner-secret',
      },
    });
    t = await startTestApi({ databaseUrl: ownerUrl.toString() });
    const grafanaUrl = new URL(ownerUrl);
    grafanaUrl.username = 'orfleet_grafana';
    grafanaUrl.password = "grafana 'secret'";
    grafana = new Client({ connectionString: grafanaUrl.toString() });
    await grafana.connect();
  });
  afterAll(async () => {
    await grafana?.end();
    await t?.close();
  });

  it('reads the tables and views the migrations made after it', async () => {
    const created = await t.request('POST', '/api/v1/sites', {
      body: {
        id: 'st-anne',
        name: 'St Anne',
        zone: 'city',
        timezone: 'Europe/Berlin',
        region: 'east',
      },
    });
    expect(created.status).toBe(201);
    const sites = await grafana.query<{ id: string }>('SELECT id FROM site');
    expect(sites.rows.map((r) => r.id)).toEqual(['st-anne']);
    for (const relation of ['ticket', 'ticket_milestone', 'device_health', 'stock']) {
      await expect(grafana.query(`SELECT count(*) FROM ${relation}`)).resolves.toBeDefined();
    }
  });

  it('reads the devices but not the token and device secret hashes', async () => {
    await t.sql(
      `INSERT INTO device (id, kind, model, serial, site_id, install_date, warranty_end,
         secret_sha256, created_by, updated_by)
       VALUES ('gd-1', 'gown_dispenser', 'GD-1', 'S1', 'st-anne', '2026-01-01', '2030-01-01',
         $1, 'owner', 'owner')`,
      ['a'.repeat(64)],
    );
    const devices = await grafana.query('SELECT id, kind, site_id FROM device');
    expect(devices.rows).toEqual([{ id: 'gd-1', kind: 'gown_dispenser', site_id: 'st-anne' }]);
    for (const query of [
      'SELECT secret_sha256 FROM device',
      'SELECT * FROM device',
      'SELECT count(*) FROM api_token',
      'SELECT * FROM device_credential',
    ]) {
      await expect(grafana.query(query)).rejects.toThrow(/permission denied/);
    }
    // every other column of device, including those later migrations added, stays readable
    const columns = await t.sql<{ column: string; readable: boolean }>(
      `SELECT attname AS column, has_column_privilege($1, 'public.device', attname, 'SELECT') AS readable
         FROM pg_attribute
        WHERE attrelid = 'public.device'::regclass AND attnum > 0 AND NOT attisdropped
        ORDER BY attnum`,
      [GRAFANA_ROLE],
    );
    expect(columns.length).toBeGreaterThan(10);
    expect(columns.filter((c) => c.readable !== (c.column !== 'secret_sha256'))).toEqual([]);
  });

  it('changes nothing, even with its read-only default switched off', async () => {
    await expect(
      grafana.query(
        `INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by)
         VALUES ('st-x', 'x', 'city', 'UTC', 'east', 'grafana', 'grafana')`,
      ),
    ).rejects.toThrow(/read-only transaction/);
    await grafana.query('SET default_transaction_read_only = off');
    await expect(grafana.query(`DELETE FROM site`)).rejects.toThrow(/permission denied/);
    await expect(grafana.query('CREATE TABLE mine (x int)')).rejects.toThrow(/permission denied/);
    const owner = await t.sql<{ count: string }>('SELECT count(*) FROM site');
    expect(owner[0]?.count).toBe('1');
  });
});

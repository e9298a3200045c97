import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { startTestApi } from '../apps/api/test/harness';
import type { TestApi } from '../apps/api/test/harness';

const run = promisify(execFile);
const script = path.resolve(__dirname, 'postgres/initdb/10-orfleet-grafana.sh');

/**
 * The postgres service's first start, replayed on a real PostgreSQL: the database owner is a
 * superuser `orfleet` (as POSTGRES_USER makes it), the init script runs through psql before any
 * table exists, then the API's migrations create the schema as that owner. orfleet_grafana must
 * read every table and view, and change nothing.
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
    for (const relation of ['ticket', 'ticket_milestone', 'device', 'stock', 'device_credential']) {
      await expect(grafana.query(`SELECT count(*) FROM ${relation}`)).resolves.toBeDefined();
    }
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

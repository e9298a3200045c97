#!/usr/bin/env node
// `npm start`: builds and runs the platform on embedded defaults (no configuration needed):
// the API with an embedded PostgreSQL under ./data/pg. Ctrl-C stops it cleanly; the next start
// reuses the data. The broker and ingest join here when their issues land.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { build } = require('./build.cjs');

const root = path.resolve(__dirname, '..');
console.log(`orfleet: compiled ${build()} files`);
console.log('orfleet: not yet part of the build: broker (apps/broker), ingest (apps/ingest)');

const api = spawn(process.execPath, [path.join(root, 'dist/apps/api/src/main.js')], {
  cwd: root,
  stdio: 'inherit',
  env: process.env,
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => api.kill(signal));
}
api.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});

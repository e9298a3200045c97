#!/usr/bin/env node
// The container image's entry point (Dockerfile): one image, the app chosen by the command.
//   node tools/container.cjs api|broker|ingest   runs that app (in this process, so it gets the
//                                                 container's signals directly)
//   node tools/container.cjs health [url]         exits 0 when the app's readiness endpoint
//                                                 answers 200 within 4 s, else 1 (HEALTHCHECK)
// Without a URL, `health` finds the running app in PID 1's command line (docker-init too) and
// reads its readiness port from the same environment the app was started with, through the
// app's own config module, so the check cannot drift from what the app listens on.
/* global AbortSignal */
const { readFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const APPS = ['api', 'broker', 'ingest'];

/** The readiness URL of `app` under `env`, from the app's compiled config module. */
function readinessUrl(
  app,
  env,
  loadConfig = require(path.join(root, `dist/apps/${app}/src/config.js`)).loadConfig,
) {
  const config = loadConfig(env);
  const { host, port } = app === 'api' ? config.http : config.ops;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/readyz`;
}

/** The app PID 1 runs: the argument after this script on its command line. */
function runningApp() {
  const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
  const at = args.findIndex((a) => a.endsWith('container.cjs'));
  const app = at === -1 ? undefined : args[at + 1];
  if (!APPS.includes(app)) throw new Error(`PID 1 runs no orfleet app: ${args.join(' ')}`);
  return app;
}

async function health(url) {
  const target = url ?? readinessUrl(runningApp(), process.env);
  const response = await fetch(target, { signal: AbortSignal.timeout(4_000) });
  if (response.status !== 200) {
    throw new Error(`${target}: HTTP ${response.status} ${await response.text()}`);
  }
}

function main() {
  const [command, argument] = process.argv.slice(2);
  if (APPS.includes(command)) {
    require(path.join(root, `dist/apps/${command}/src/main.js`));
  } else if (command === 'health') {
    health(argument).then(
      () => process.exit(0),
      (error) => {
        console.error(`orfleet health: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  } else {
    console.error(`usage: node tools/container.cjs <${APPS.join('|')}> | health [url]`);
    process.exit(2);
  }
}

module.exports = { APPS, readinessUrl };
if (require.main === module) main();

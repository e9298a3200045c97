// `npm start -- --demo` (or `npm run demo`): once the platform is up, a simulated hospital
// (apps/simulator/scenarios/demo-hospital.yaml, 316 devices) joins it, and one minute later a gown
// dispenser's motor stalls. The console says where to look: the API and an admin token, the red
// ticket the stall becomes (its due times and the motor reserved for it), and how to point a
// Grafana at the platform. The simulator is one more child of the launcher: Ctrl-C stops it with
// the rest; the next start reuses the devices, their secrets and the token.
const path = require('node:path');
const { keptToken } = require('./kept-token.cjs');

const SCENARIO = 'apps/simulator/scenarios/demo-hospital.yaml';
const STALLED = 'st-anne-gd-s1-1';
const STALL_AFTER = '1m';
/** How long the demo waits for the stall's ticket before saying it did not come. */
const TICKET_WAIT_MS = 4 * 60_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the stall's ticket (opened, or counted again on a ticket still open from an earlier
 * demo) and prints it with the time it took since the launcher started.
 */
async function showTicket({ root, apiUrl, token, tokenShown, since, isStopping }) {
  const { describeTicket } = require(path.join(root, 'dist/apps/simulator/src/progress.rules.js'));
  const headers = { authorization: `Bearer ${token}` };
  const deadline = Date.now() + TICKET_WAIT_MS;
  while (!isStopping() && Date.now() < deadline) {
    await sleep(2_000);
    try {
      const res = await fetch(`${apiUrl}/api/v1/tickets?device=${STALLED}&status=open`, {
        headers,
      });
      if (res.status !== 200) continue;
      const { items } = await res.json();
      const ticket = items.find(
        (t) => t.fingerprint === `fault:${STALLED}:MOTOR_STALL` && Date.parse(t.updatedAt) >= since,
      );
      if (ticket === undefined) continue;
      const detail = await (
        await fetch(`${apiUrl}/api/v1/tickets/${ticket.id}`, { headers })
      ).json();
      const seconds = Math.round(process.uptime());
      const again =
        detail.occurrences > 1
          ? ` (open since an earlier demo: ${detail.occurrences} occurrences)`
          : '';
      console.log(
        [
          '',
          `orfleet demo: ${seconds} s after start, the stalled motor is a ${detail.severity} ticket${again}:`,
          ...describeTicket(detail).map((line) => `  ${line}`),
          `  curl -H "Authorization: Bearer $(cat ${tokenShown})" ${apiUrl}/api/v1/tickets/${detail.id}`,
          '',
        ].join('\n'),
      );
      return;
    } catch {
      // the API is busy or restarting: ask again
    }
  }
  if (!isStopping()) {
    console.error(
      `orfleet demo: no ticket for ${STALLED} after ${TICKET_WAIT_MS / 60_000} minutes; see the API log`,
    );
  }
}

/**
 * Starts the simulator (through the launcher's `run`, so Ctrl-C and a crash are handled with the
 * other services) and prints where to look.
 */
async function startDemo({ root, databaseUrl, run, isStopping }) {
  const port = process.env.ORFLEET_API_PORT || '3000';
  const host =
    process.env.ORFLEET_API_HOST && process.env.ORFLEET_API_HOST !== '0.0.0.0'
      ? process.env.ORFLEET_API_HOST
      : '127.0.0.1';
  const apiUrl = `http://${host}:${port}`;
  const mqttUrl =
    process.env.MQTT_URL || `mqtt://127.0.0.1:${process.env.ORFLEET_BROKER_PORT || '1883'}`;
  const tokenFile = path.resolve(
    root,
    process.env.ORFLEET_ADMIN_TOKEN_FILE || './data/admin.token',
  );
  const dataDir = path.resolve(root, process.env.ORFLEET_SIMULATOR_DATA_DIR || './data/simulator');
  const influxUrl =
    process.env.INFLUX_URL || `http://127.0.0.1:${process.env.ORFLEET_INFLUX_PORT || '8087'}`;
  // an admin token named `demo`, kept in ./data/admin.token and reused by the next start
  const token = await keptToken({
    root,
    databaseUrl,
    file: tokenFile,
    name: 'demo',
    role: 'admin',
    createdBy: 'npm run demo',
  });
  if (isStopping()) return;
  const since = Date.now();
  run('simulator', { ...process.env, ORFLEET_API_TOKEN: token }, [
    '--scenario',
    path.join(root, SCENARIO),
    '--api-url',
    apiUrl,
    '--mqtt-url',
    mqttUrl,
    '--data-dir',
    dataDir,
    '--fault',
    `${STALL_AFTER} motor-stall ${STALLED}`,
  ]);
  // ./data/admin.token as the user would type it from the checkout; a file elsewhere in full
  const relative = path.relative(root, tokenFile);
  const shownToken = relative.startsWith('..') ? tokenFile : relative;
  console.log(
    [
      '',
      'orfleet demo: a simulated hospital is joining (St Anne, 316 devices).',
      `  in ${STALL_AFTER}:       the motor of gown dispenser ${STALLED} stalls; its ticket is printed here`,
      `  API:          ${apiUrl} (OpenAPI UI ${apiUrl}/api/docs)`,
      `  admin token:  ${token}   (kept in ${shownToken})`,
      `  tickets:      curl -H "Authorization: Bearer $(cat ${shownToken})" '${apiUrl}/api/v1/tickets?status=open'`,
      `  Grafana:      mount grafana/provisioning at /etc/grafana/provisioning and grafana/dashboards at`,
      `                /var/lib/grafana/dashboards, with ORFLEET_GRAFANA_INFLUX_URL=${influxUrl}`,
      '                ORFLEET_GRAFANA_INFLUX_DB=orfleet and the ORFLEET_GRAFANA_PG_* of docs/boards.md',
      '  faults:       type a command and Enter, e.g. "kill-station st-anne-bs-a03-1"; "help" lists them',
      '  Ctrl-C stops everything; the next start reuses the data.',
      '',
    ].join('\n'),
  );
  await showTicket({ root, apiUrl, token, tokenShown: shownToken, since, isStopping });
}

module.exports = { startDemo };

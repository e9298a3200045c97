import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { validateScenario } from './scenario.rules';
import { Simulation } from './simulation';

/**
 * Progress against an API that drops out between the ticket list and a ticket's detail (an API
 * restarting): the simulator logs it and keeps running; it must not end in an unhandled rejection
 * (which stops the process, and with it the demo launcher's whole platform).
 */
const result = validateScenario({
  name: 'progress-hospital',
  seed: 3,
  sites: [
    {
      id: 'st-prog',
      name: 'Progress Hospital',
      zone: 'city',
      timezone: 'UTC',
      region: 'east',
      suites: 1,
      roomsPerSuite: 1,
      perSuite: { gown_dispenser: 1 },
      areas: 1,
      baseStationsPerArea: 1,
      beaconsPerStation: 1,
      wristbandsPerStation: 1,
      servers: 1,
      switches: 1,
    },
  ],
});
if (!result.ok) throw new Error(result.errors.join('\n'));
const scenario = result.scenario;

let server: Server;
let apiUrl: string;
let dataDir: string;
let simulation: Simulation | undefined;
const log: string[] = [];

/** Just enough of the registry for a start; the ticket list works, a ticket's detail does not. */
function fakeApi(): Server {
  return createServer((req, res) => {
    const url = req.url ?? '';
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && url.startsWith('/api/v1/sites/')) return json(200, {});
      if (req.method === 'GET' && url.startsWith('/api/v1/devices?'))
        return json(200, { items: [], nextCursor: null });
      if (req.method === 'POST' && url === '/api/v1/devices:bulk') {
        const { devices } = JSON.parse(text) as { devices: { id: string }[] };
        return json(
          201,
          devices.map((d) => ({ device: { id: d.id }, secret: `secret-${d.id}` })),
        );
      }
      if (req.method === 'GET' && url.startsWith('/api/v1/tickets?'))
        return json(200, {
          items: [{ id: 'T-2026-000001', siteId: 'st-prog', createdAt: new Date().toISOString() }],
          nextCursor: null,
        });
      // the API goes away mid-poll: the connection drops without an answer
      req.socket.destroy();
    });
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-sim-progress-'));
  server = fakeApi();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await simulation?.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dataDir, { recursive: true, force: true });
});

it('a ticket detail the API cannot answer is logged, and progress goes on', async () => {
  simulation = await Simulation.start({
    scenario,
    apiUrl,
    token: 'orf_test',
    // nothing listens there: the sessions keep retrying, which this test does not need
    mqttUrl: 'mqtt://127.0.0.1:9',
    dataDir,
    progressMs: 3_600_000,
    log: (line) => log.push(line),
  });
  await expect(simulation.progress()).resolves.toBeUndefined();
  expect(log).toContainEqual(
    expect.stringMatching(/^ticket T-2026-000001: .*is the API running\?/),
  );
  // the next poll runs (it was not left marked as polling)
  log.length = 0;
  await expect(simulation.progress()).resolves.toBeUndefined();
  expect(log).toHaveLength(1); // its progress line
});

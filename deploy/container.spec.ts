import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig as loadApiConfig } from '../apps/api/src/config';
import { loadConfig as loadBrokerConfig } from '../apps/broker/src/config';
import { loadConfig as loadIngestConfig } from '../apps/ingest/src/config';

// the image's entry script: plain CommonJS, as the container runs it
// eslint-disable-next-line @typescript-eslint/no-require-imports
const container = require('../tools/container.cjs') as {
  APPS: string[];
  readinessUrl(app: string, env: Record<string, string>, load: (env: never) => unknown): string;
};
const run = promisify(execFile);
const script = path.resolve(__dirname, '../tools/container.cjs');

describe('tools/container.cjs', () => {
  it.each([
    [
      'api',
      loadApiConfig,
      { ORFLEET_API_HOST: '0.0.0.0', ORFLEET_API_PORT: '3100' },
      'http://127.0.0.1:3100/readyz',
    ],
    [
      'broker',
      loadBrokerConfig,
      { DATABASE_URL: 'postgres://x@db/x', ORFLEET_BROKER_OPS_PORT: '9201' },
      'http://127.0.0.1:9201/readyz',
    ],
    [
      'ingest',
      loadIngestConfig,
      { ORFLEET_INGEST_OPS_HOST: '10.0.0.5' },
      'http://10.0.0.5:9102/readyz',
    ],
  ])('finds the %s readiness endpoint through its own config', (app, load, env, url) => {
    expect(container.readinessUrl(app, env, load as (env: never) => unknown)).toBe(url);
  });

  it('health exits 0 on 200 and 1 on anything else, saying why', async () => {
    let status = 200;
    const server = createServer((_req, res) =>
      res.writeHead(status).end('{"checks":{"spool":"full"}}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
    try {
      await expect(run(process.execPath, [script, 'health', url])).resolves.toBeDefined();
      status = 503;
      await expect(run(process.execPath, [script, 'health', url])).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/HTTP 503 .*spool.*full/),
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses an unknown app', async () => {
    await expect(run(process.execPath, [script, 'mosquitto'])).rejects.toMatchObject({ code: 2 });
  });
});

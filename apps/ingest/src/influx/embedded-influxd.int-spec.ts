import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedInfluxd } from './embedded-influxd';
import type { EmbeddedInfluxd } from './embedded-influxd';
import { countField, influxQuery } from '../../test/influxd';

describe('startEmbeddedInfluxd (real influxd 1.6.7)', () => {
  const dirs: string[] = [];
  const running: EmbeddedInfluxd[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-embedded-influxd-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (options: Parameters<typeof startEmbeddedInfluxd>[0]) => {
    const instance = await startEmbeddedInfluxd(options);
    running.push(instance);
    return instance;
  };

  afterEach(async () => {
    for (const instance of running.splice(0)) await instance.stop();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('answers /ping on loopback with its version, both ports private to the instance', async () => {
    const dir = tempDir();
    const influxd = await start({ dir });

    const ping = await fetch(`${influxd.url}/ping`);
    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-influxdb-version')).toMatch(/^1\./);
    expect(influxd.url).toBe(`http://127.0.0.1:${influxd.port}`);
    expect(influxd.rpcPort).not.toBe(8088);
    const config = readFileSync(path.join(dir, 'influxdb.conf'), 'utf8');
    expect(config).toContain(`bind-address = "127.0.0.1:${influxd.rpcPort}"`);
    expect(config).toContain(`bind-address = "127.0.0.1:${influxd.port}"`);
    expect(config).toContain('store-enabled = false');
    expect(readFileSync(path.join(dir, 'influxd.pid'), 'utf8').trim()).toBe(String(influxd.pid));
  });

  it('starts again on the same port and dir with the data it had', async () => {
    const dir = tempDir();
    const first = await start({ dir });
    await influxQuery(first.url, 'CREATE DATABASE "keep"');
    const write = await fetch(`${first.url}/write?db=keep&precision=ms`, {
      method: 'POST',
      body: `m,d=a v=1 ${Date.now()}\nm,d=b v=2 ${Date.now()}`,
    });
    expect(write.status).toBe(204);

    await first.stop();
    await first.stop(); // idempotent
    await expect(fetch(`${first.url}/ping`)).rejects.toThrow();

    const second = await start({ dir, port: first.port });
    expect(second.url).toBe(first.url);
    expect(await countField(second.url, 'keep', 'autogen', 'm', 'v')).toBe(2);
  });

  it('refuses a second influxd on a data dir in use', async () => {
    const dir = tempDir();
    const influxd = await start({ dir });
    await expect(startEmbeddedInfluxd({ dir })).rejects.toMatchObject({
      code: 'INFLUXD_ALREADY_RUNNING',
      message: expect.stringContaining(String(influxd.pid)),
    });
  });

  it('refuses a fixed port that is taken', async () => {
    const influxd = await start({ dir: tempDir() });
    await expect(
      startEmbeddedInfluxd({ dir: tempDir(), port: influxd.port }),
    ).rejects.toMatchObject({ code: 'INFLUXD_PORT_IN_USE' });
  });

  it('says so when the binary is missing', async () => {
    await expect(
      startEmbeddedInfluxd({
        dir: tempDir(),
        binary: '/nonexistent/influxd',
        startTimeoutMs: 5_000,
      }),
    ).rejects.toMatchObject({
      code: 'INFLUXD_START_FAILED',
      message: expect.stringContaining('ENOENT'),
    });
  });
});

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeadLetterFile } from './dead-letter';

describe('DeadLetterFile (real files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-dead-letter-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const read = (name = 'dead-letter.ndjson') =>
    readFileSync(path.join(dir, name), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('writes each entry as one JSON line with the raw payload, UTF-8 or base64', async () => {
    const file = await DeadLetterFile.open({ dir, maxFileBytes: 1 << 20, files: 3 });
    await Promise.all([
      file.write({
        at: Date.UTC(2026, 10, 26, 12),
        reason: 'PAYLOAD_NOT_JSON',
        topic: 'or/st-a/gown_dispenser/gd-1/heartbeat',
        payload: Buffer.from('{"seq":'),
        detail: 'payload is not JSON',
      }),
      file.write({
        at: Date.UTC(2026, 10, 26, 12),
        reason: 'PAYLOAD_NOT_UTF8',
        topic: 'or/st-a/gown_dispenser/gd-1/heartbeat',
        payload: Buffer.from([0xff, 0xfe, 0x00]),
        detail: 'payload is not UTF-8',
      }),
      file.write({ at: 0, reason: 'INFLUX_REJECTED', line: 'bad line', detail: 'unable to parse' }),
    ]);
    await file.close();
    expect(read()).toEqual([
      {
        at: '2026-11-26T12:00:00.000Z',
        reason: 'PAYLOAD_NOT_JSON',
        topic: 'or/st-a/gown_dispenser/gd-1/heartbeat',
        payload: '{"seq":',
        payloadEncoding: 'utf8',
        detail: 'payload is not JSON',
      },
      {
        at: '2026-11-26T12:00:00.000Z',
        reason: 'PAYLOAD_NOT_UTF8',
        topic: 'or/st-a/gown_dispenser/gd-1/heartbeat',
        payload: '//4A',
        payloadEncoding: 'base64',
        detail: 'payload is not UTF-8',
      },
      {
        at: '1970-01-01T00:00:00.000Z',
        reason: 'INFLUX_REJECTED',
        line: 'bad line',
        detail: 'unable to parse',
      },
    ]);
  });

  it('rotates before a file passes its size and keeps only the configured number of files', async () => {
    const file = await DeadLetterFile.open({ dir, maxFileBytes: 4_096, files: 3 });
    for (let i = 0; i < 200; i++) {
      await file.write({
        at: 0,
        reason: 'FIELD_INVALID',
        topic: `t/${i}`,
        detail: 'x'.repeat(100),
      });
    }
    await file.close();
    const names = readdirSync(dir).sort();
    expect(names).toEqual(['dead-letter.ndjson', 'dead-letter.ndjson.1', 'dead-letter.ndjson.2']);
    for (const name of names) {
      expect(readFileSync(path.join(dir, name)).length).toBeLessThanOrEqual(4_096);
    }
    // the newest entries survive, in order, across the files that are kept
    const kept = [...read('dead-letter.ndjson.2'), ...read('dead-letter.ndjson.1'), ...read()].map(
      (e) => e['topic'],
    );
    expect(kept.at(-1)).toBe('t/199');
    const first = Number(String(kept[0]).slice(2));
    expect(kept).toEqual(Array.from({ length: 200 - first }, (_, i) => `t/${first + i}`));
  });

  it('appends to the file it finds after a restart', async () => {
    const first = await DeadLetterFile.open({ dir, maxFileBytes: 1 << 20, files: 2 });
    await first.write({ at: 0, reason: 'A', detail: 'one' });
    await first.close();
    const second = await DeadLetterFile.open({ dir, maxFileBytes: 1 << 20, files: 2 });
    await second.write({ at: 0, reason: 'B', detail: 'two' });
    await second.close();
    expect(read().map((e) => e['reason'])).toEqual(['A', 'B']);
  });
});

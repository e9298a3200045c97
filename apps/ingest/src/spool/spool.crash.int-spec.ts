import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Spool } from './spool';

const CHILD = path.join(__dirname, '../../test/spool-crash-child.ts');
const ROOT = path.join(__dirname, '../../../..');

/**
 * Runs the child appender from `start`, SIGKILLs it as soon as it reports `killAfter` resolved
 * appends, and returns the highest count it reported before it died.
 */
function appendUntilKilled(
  dir: string,
  start: number,
  { killAfter, windowMs }: { killAfter: number; windowMs: number },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [dir, String(start), String(windowMs)], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let reported = 0;
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child never reported ${killAfter} resolved appends (got ${reported})`));
    }, 45_000);
    child.on('message', (count) => {
      reported = Math.max(reported, count as number);
      if (!killed && reported >= killAfter) {
        killed = child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && killed) resolve(reported);
      else reject(new Error(`child exited on its own (code ${code}, signal ${signal})`));
    });
  });
}

describe('Spool after kill -9', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'spool-crash-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every resolved append, in order, none twice, across three crashes', async () => {
    let stored = 0;
    // A wide window leaves groups gathered but not committed whenever the kill lands: an append
    // resolved before its commit would be missing here.
    for (const round of [
      { killAfter: 1_500, windowMs: 50 },
      { killAfter: 700, windowMs: 0 },
      { killAfter: 2_300, windowMs: 50 },
    ]) {
      const reported = await appendUntilKilled(dir, stored, round);
      const spool = await Spool.open({ dir, quotaBytes: 1 << 30 });
      try {
        const batch = await spool.readOldest(1_000_000);
        const lines = batch?.lines ?? [];
        // every append the child saw resolve is there (more may be: committed, not yet reported)
        expect(lines.length).toBeGreaterThanOrEqual(stored + reported);
        expect(lines).toEqual(Array.from({ length: lines.length }, (_, i) => `rec-${i}`));
        expect(spool.pendingRecords).toBe(lines.length);
        stored = lines.length;
      } finally {
        await spool.close();
      }
    }
  });
});

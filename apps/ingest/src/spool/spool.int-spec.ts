import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Spool, type SpoolOptions } from './spool';
import { SpoolError, SpoolFullError } from './spool.errors';

const rec = (i: number) => `heartbeat,device=gd-${i} seq=${i}i 17672256000000000${i % 10}`;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const bytesOf = (lines: readonly string[]) => lines.reduce((s, l) => s + Buffer.byteLength(l), 0);

describe('Spool', () => {
  let dir: string;
  const open: Spool[] = [];
  const openSpool = async (options: Partial<SpoolOptions> = {}) => {
    const spool = await Spool.open({ dir, quotaBytes: 1 << 20, ...options });
    open.push(spool);
    return spool;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'spool-'));
  });
  afterEach(async () => {
    for (const spool of open.splice(0)) await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives records back in append order, with consecutive ids and their bytes', async () => {
    const spool = await openSpool();
    const lines = range(0, 1_000).map(rec);
    await Promise.all(lines.map((l) => spool.append(l)));

    const batch = await spool.readOldest(5_000);
    expect(batch?.lines).toEqual(lines);
    expect(batch?.lastId).toBe(Number(batch?.firstId) + 999);
    expect(batch?.bytes).toBe(bytesOf(lines));
    expect(spool.pendingRecords).toBe(1_000);
    expect(spool.pendingBytes).toBe(bytesOf(lines));
  });

  it('reads without removing, and stops at maxLines', async () => {
    const spool = await openSpool();
    await Promise.all(range(0, 10).map((i) => spool.append(rec(i))));

    const first = await spool.readOldest(4);
    const again = await spool.readOldest(4);
    expect(first?.lines).toEqual(range(0, 4).map(rec));
    expect(again).toEqual(first);
    expect(spool.pendingRecords).toBe(10);
  });

  it('answers undefined when nothing is pending', async () => {
    const spool = await openSpool();
    expect(await spool.readOldest(100)).toBeUndefined();
  });

  it.each([
    { case: 'a window', groupCommitMs: 5, maxGroup: 1_000, appends: 500, commits: 1 },
    { case: 'the end of the turn', groupCommitMs: 0, maxGroup: 1_000, appends: 500, commits: 1 },
    { case: 'maxGroup', groupCommitMs: 60_000, maxGroup: 100, appends: 500, commits: 5 },
    { case: 'one fsync per record', groupCommitMs: 0, maxGroup: 1, appends: 50, commits: 50 },
  ])(
    'commits concurrent appends in groups closed by $case',
    async ({ groupCommitMs, maxGroup, appends, commits }) => {
      const spool = await openSpool({ groupCommitMs, maxGroup });
      await Promise.all(range(0, appends).map((i) => spool.append(rec(i))));

      expect(spool.commits).toBe(commits);
      expect(spool.pendingRecords).toBe(appends);
    },
  );

  it('commits awaited appends one group each', async () => {
    const spool = await openSpool({ groupCommitMs: 0 });
    for (const i of range(0, 20)) await spool.append(rec(i));
    expect(spool.commits).toBe(20);
  });

  it('refuses past the quota, stays full down to 90 %, then takes records again', async () => {
    const line = 'x'.repeat(100);
    const spool = await openSpool({ quotaBytes: 1_000 });
    await Promise.all(range(0, 10).map(() => spool.append(line)));
    expect(spool.full).toBe(false);

    const refused = spool.append(line);
    await expect(refused).rejects.toBeInstanceOf(SpoolFullError);
    await expect(refused).rejects.toMatchObject({ code: 'SPOOL_FULL', quotaBytes: 1_000 });
    expect(spool.full).toBe(true);
    await spool.remove(Number((await spool.readOldest(1))?.lastId));
    expect(spool.pendingBytes).toBe(900);
    expect(spool.full).toBe(false);

    await spool.append(line);
    await expect(spool.append('y')).rejects.toMatchObject({ code: 'SPOOL_FULL' });
    await expect(spool.append('y')).rejects.toMatchObject({ code: 'SPOOL_FULL' });
    expect(spool.pendingRecords).toBe(10);
  });

  it('stays full until removals reach the resume mark', async () => {
    const line = 'x'.repeat(10);
    const spool = await openSpool({ quotaBytes: 1_000 });
    await Promise.all(range(0, 100).map(() => spool.append(line)));
    await expect(spool.append(line)).rejects.toBeInstanceOf(SpoolFullError);
    const batch = (await spool.readOldest(10))!;

    await spool.remove(Number(batch.firstId) + 4); // 950 bytes left: above 90 %
    expect(spool.full).toBe(true);
    await expect(spool.append('y')).rejects.toBeInstanceOf(SpoolFullError);

    await spool.remove(batch.lastId); // 900 bytes: at the mark
    expect(spool.full).toBe(false);
    await expect(spool.append('y')).resolves.toBeUndefined();
  });

  it('refuses a record larger than the whole quota as such, without turning full', async () => {
    const spool = await openSpool({ quotaBytes: 100 });
    const refused = spool.append('x'.repeat(101));
    await expect(refused).rejects.toMatchObject({ code: 'SPOOL_RECORD_TOO_LARGE' });
    await expect(refused).rejects.not.toBeInstanceOf(SpoolFullError);
    expect(spool.full).toBe(false);
    await expect(spool.append('x'.repeat(100))).resolves.toBeUndefined();
  });

  it('counts UTF-8 bytes, the same live and after reopening', async () => {
    const line = 'status,site=Zürich,room=OP-Säal text="🩺"';
    const spool = await openSpool();
    await spool.append(line);
    expect(spool.pendingBytes).toBe(Buffer.byteLength(line));
    expect((await spool.readOldest(1))?.bytes).toBe(Buffer.byteLength(line));
    await spool.close();

    const reopened = await openSpool();
    expect(reopened.pendingBytes).toBe(Buffer.byteLength(line));
    expect((await reopened.readOldest(1))?.lines).toEqual([line]);
  });

  it('removes up to an id, and reading continues after it', async () => {
    const spool = await openSpool();
    const lines = range(0, 100).map(rec);
    await Promise.all(lines.map((l) => spool.append(l)));
    const first = (await spool.readOldest(30))!;

    await spool.remove(first.lastId);
    const next = (await spool.readOldest(30))!;
    expect(next.firstId).toBe(Number(first.lastId) + 1);
    expect(next.lines).toEqual(lines.slice(30, 60));
    expect(spool.pendingRecords).toBe(70);
    expect(spool.pendingBytes).toBe(bytesOf(lines.slice(30)));

    await spool.remove(Number(next.firstId) - 1); // already gone: nothing changes
    expect(spool.pendingRecords).toBe(70);
    await spool.remove(Number.MAX_SAFE_INTEGER);
    expect(spool.pendingRecords).toBe(0);
    expect(spool.pendingBytes).toBe(0);
    expect(await spool.readOldest(10)).toBeUndefined();
  });

  it('recovers pending records, their bytes and the next id on reopen', async () => {
    const spool = await openSpool();
    await Promise.all(range(0, 50).map((i) => spool.append(rec(i))));
    await spool.remove(Number((await spool.readOldest(20))?.lastId));
    const before = await spool.readOldest(100);
    await spool.close();

    const reopened = await openSpool({ quotaBytes: 1 << 20 });
    expect(reopened.pendingRecords).toBe(30);
    expect(reopened.pendingBytes).toBe(bytesOf(range(20, 50).map(rec)));
    expect(await reopened.readOldest(100)).toEqual(before);
    await reopened.append(rec(50));
    const after = (await reopened.readOldest(100))!;
    expect(after.lines).toEqual(range(20, 51).map(rec));
    expect(after.lastId).toBe(Number(before?.lastId) + 1);
  });

  it('reopens full when what is pending is over a smaller quota', async () => {
    const spool = await openSpool();
    await Promise.all(range(0, 10).map(() => spool.append('x'.repeat(100))));
    await spool.close();

    const reopened = await openSpool({ quotaBytes: 500 });
    expect(reopened.full).toBe(true);
    await expect(reopened.append('y')).rejects.toBeInstanceOf(SpoolFullError);
  });

  it('commits the gathered group on close', async () => {
    const spool = await openSpool({ groupCommitMs: 60_000 });
    const appended = Promise.all(range(0, 5).map((i) => spool.append(rec(i))));
    expect(spool.commits).toBe(0);
    await spool.close();
    await expect(appended).resolves.toHaveLength(5);
    await expect(spool.append(rec(6))).rejects.toMatchObject({ code: 'SPOOL_CLOSED' });
    await expect(spool.readOldest(1)).rejects.toMatchObject({ code: 'SPOOL_CLOSED' });
    await expect(spool.remove(1)).rejects.toMatchObject({ code: 'SPOOL_CLOSED' });
    await expect(spool.close()).resolves.toBeUndefined();

    const reopened = await openSpool();
    expect((await reopened.readOldest(10))?.lines).toEqual(range(0, 5).map(rec));
  });

  it('refuses a folder another spool holds open', async () => {
    await openSpool();
    await expect(Spool.open({ dir, quotaBytes: 1_000 })).rejects.toMatchObject({
      code: 'SPOOL_LOCKED',
    });
  });

  it('lists every invalid option', async () => {
    const opening = Spool.open({ dir: ' ', quotaBytes: 0, groupCommitMs: -1, maxGroup: 0 });
    await expect(opening).rejects.toBeInstanceOf(SpoolError);
    await expect(opening).rejects.toMatchObject({
      code: 'SPOOL_OPTIONS_INVALID',
      message: expect.stringMatching(/dir.*quotaBytes.*groupCommitMs.*maxGroup/),
    });
  });
});

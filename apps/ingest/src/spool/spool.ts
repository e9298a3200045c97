import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SpoolError, SpoolFullError } from './spool.errors';
import {
  admit,
  afterAppend,
  settingsProblems,
  spoolLimits,
  stillFull,
  RESUME_RATIO,
  type SpoolLimits,
} from './spool.rules';

export interface SpoolOptions {
  /** Folder of the spool's database (`spool.sqlite`); created when missing. */
  readonly dir: string;
  /** Bytes of pending records (UTF-8) the spool holds at most. */
  readonly quotaBytes: number;
  /** Longest wait to gather a group after its first record; 0 commits at the end of the turn. */
  readonly groupCommitMs?: number;
  /** A group is committed at once when it reaches this many records. */
  readonly maxGroup?: number;
  /** Once full, records are taken again at or below this share of the quota. */
  readonly resumeRatio?: number;
}

// bench/results/spool.json: at 2k msg/s a 2 ms window halves the commits (each an fsync that
// holds the event loop) against committing at the end of every turn, for ~2 ms more per append
// (p99 4.5 ms); 200 appenders still get ~60k records/s, 200 per commit. 0 (end of turn) gives
// the lowest latency where fsync is as cheap as on the bench machine (~0.07 ms).
export const SPOOL_DEFAULTS = { groupCommitMs: 2, maxGroup: 1_000, resumeRatio: RESUME_RATIO };

export interface SpooledBatch {
  readonly firstId: number;
  readonly lastId: number;
  /** Records in append order. */
  readonly lines: readonly string[];
  /** UTF-8 bytes of `lines`, as counted against the quota. */
  readonly bytes: number;
}

const FILE = 'spool.sqlite';

/** better-sqlite3 is synchronous: its throw becomes a rejection, as from an asynchronous store. */
function settle<T>(run: () => T): Promise<T> {
  return new Promise((resolve) => resolve(run()));
}

/**
 * A durable FIFO of line-protocol records on local disk, bounded by a quota; SQLite in WAL mode
 * through better-sqlite3. `append` resolves once the group holding the record is committed and
 * fsynced (synchronous=FULL: WAL mode with NORMAL syncs only at checkpoints, so a power loss
 * could take records whose PUBACK had gone out). Appends are gathered into groups, one
 * transaction and one fsync per group. Records leave only through `remove`, after InfluxDB
 * confirmed them; a crash in between sends them again, which InfluxDB absorbs (same series,
 * same timestamp: the point is overwritten with itself).
 *
 * The quota counts the UTF-8 bytes of pending records, summed at open from the table itself;
 * the file is about 1.13× that, plus a WAL of a few MB (autocheckpoint, 1000 pages). SQLite
 * reuses the pages of removed records, so the file stays at its high-water mark.
 *
 * better-sqlite3 is synchronous: a commit holds the event loop for its fsync (well under a ms
 * for the small groups of normal load, a few ms for a group of 1000; bench/results/spool.json).
 */
export class Spool {
  private readonly limits: SpoolLimits;
  private readonly groupCommitMs: number;
  private readonly maxGroup: number;

  // the group being gathered, in parallel arrays: no object per record
  private groupLines: string[] = [];
  private groupResolves: (() => void)[] = [];
  private groupRejects: ((error: Error) => void)[] = [];
  private groupBytes = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private windowImmediate: NodeJS.Immediate | undefined;

  private nextId: number;
  private records: number;
  private bytes: number;
  private isFull: boolean;
  private closed = false;
  private commitCount = 0;

  private readonly oldest: Database.Statement<[number], { id: number; line: string }>;
  private readonly insertGroup: (first: number, lines: readonly string[]) => void;
  private readonly removeRange: (upToId: number) => { records: number; bytes: number };

  private constructor(
    private readonly db: Database.Database,
    options: Required<SpoolOptions>,
    stored: { records: number; bytes: number; maxId: number },
  ) {
    this.limits = spoolLimits(options.quotaBytes, options.resumeRatio);
    this.groupCommitMs = options.groupCommitMs;
    this.maxGroup = options.maxGroup;
    this.nextId = stored.maxId + 1;
    this.records = stored.records;
    this.bytes = stored.bytes;
    this.isFull = stored.bytes > options.quotaBytes;
    this.oldest = db.prepare('SELECT id, line FROM spool ORDER BY id LIMIT ?');
    const insert = db.prepare<[number, string]>('INSERT INTO spool (id, line) VALUES (?, ?)');
    this.insertGroup = db.transaction((first: number, lines: readonly string[]) => {
      for (let i = 0; i < lines.length; i++) insert.run(first + i, lines[i]!);
    });
    const rangeStats = db.prepare<[number], { records: number; bytes: number }>(
      'SELECT count(*) AS records, total(octet_length(line)) AS bytes FROM spool WHERE id <= ?',
    );
    const deleteRange = db.prepare<[number]>('DELETE FROM spool WHERE id <= ?');
    this.removeRange = db.transaction((upToId: number) => {
      const removed = rangeStats.get(upToId)!;
      deleteRange.run(upToId);
      return removed;
    });
  }

  /** Opens the spool in `dir`, with what a previous run (or a crash) left there. */
  static open(options: SpoolOptions): Promise<Spool> {
    return settle(() => Spool.openNow(options));
  }

  private static openNow(options: SpoolOptions): Spool {
    const settings: Required<SpoolOptions> = {
      dir: options.dir,
      quotaBytes: options.quotaBytes,
      groupCommitMs: options.groupCommitMs ?? SPOOL_DEFAULTS.groupCommitMs,
      maxGroup: options.maxGroup ?? SPOOL_DEFAULTS.maxGroup,
      resumeRatio: options.resumeRatio ?? SPOOL_DEFAULTS.resumeRatio,
    };
    const problems = settingsProblems(settings);
    if (problems.length > 0) {
      throw new SpoolError('SPOOL_OPTIONS_INVALID', `spool options: ${problems.join('; ')}`);
    }
    mkdirSync(settings.dir, { recursive: true });
    // timeout 0: a spool another process holds fails now, not after a busy wait
    const db = new Database(path.join(settings.dir, FILE), { timeout: 0 });
    try {
      // EXCLUSIVE before WAL: the WAL index lives in this process (no -shm file) and a second
      // ingest on the same folder gets SQLITE_BUSY instead of sharing the counters' table.
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY, line TEXT NOT NULL)');
      const stored = db
        .prepare<[], { records: number; bytes: number; maxId: number }>(
          `SELECT count(*) AS records, total(octet_length(line)) AS bytes,
                  coalesce(max(id), 0) AS maxId FROM spool`,
        )
        .get()!;
      return new Spool(db, settings, stored);
    } catch (error) {
      db.close();
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
        throw new SpoolError('SPOOL_LOCKED', `spool ${settings.dir} is open in another process`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Over the quota: appends are refused until removals bring it down to the resume mark. */
  get full(): boolean {
    return this.isFull;
  }

  /** Committed records not yet removed. */
  get pendingRecords(): number {
    return this.records;
  }

  /** UTF-8 bytes of the committed records not yet removed. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Group commits (one transaction, one fsync each) since open. */
  get commits(): number {
    return this.commitCount;
  }

  /**
   * Resolves once `record` is durable: its group committed and fsynced. Rejects with
   * SpoolFullError over the quota (withhold the PUBACK: the broker keeps the message; retry once
   * removals made room), SPOOL_RECORD_TOO_LARGE for a record larger than the whole quota, and
   * SPOOL_WRITE_FAILED when the group's commit failed (none of the group was stored).
   */
  append(record: string): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolError('SPOOL_CLOSED', 'spool is closed'));
    const bytes = Buffer.byteLength(record);
    const admission = admit(this.limits, this.isFull, this.bytes + this.groupBytes, bytes);
    if (!admission.admitted) {
      this.isFull = admission.full;
      return Promise.reject(
        admission.reason === 'too-large'
          ? new SpoolError(
              'SPOOL_RECORD_TOO_LARGE',
              `record of ${bytes} bytes exceeds the spool quota of ${this.limits.quotaBytes}`,
            )
          : new SpoolFullError(this.bytes + this.groupBytes, this.limits.quotaBytes),
      );
    }
    const done = new Promise<void>((resolve, reject) => {
      this.groupResolves.push(resolve);
      this.groupRejects.push(reject);
    });
    this.groupLines.push(record);
    this.groupBytes += bytes;
    const windowOpen = this.windowTimer !== undefined || this.windowImmediate !== undefined;
    switch (afterAppend(this.groupLines.length, windowOpen, this.maxGroup)) {
      case 'commit-now':
        this.commit();
        break;
      case 'start-window':
        if (this.groupCommitMs === 0) this.windowImmediate = setImmediate(this.commitWindow);
        else this.windowTimer = setTimeout(this.commitWindow, this.groupCommitMs);
        break;
      case 'wait':
        break;
    }
    return done;
  }

  /** The oldest records not yet removed, in append order; removes nothing. */
  readOldest(maxLines: number): Promise<SpooledBatch | undefined> {
    return settle(() => {
      this.assertOpen();
      const rows = this.oldest.all(Math.max(1, Math.floor(maxLines)));
      if (rows.length === 0) return undefined;
      const lines = new Array<string>(rows.length);
      let bytes = 0;
      for (let i = 0; i < rows.length; i++) {
        lines[i] = rows[i]!.line;
        bytes += Buffer.byteLength(rows[i]!.line);
      }
      return { firstId: rows[0]!.id, lastId: rows.at(-1)!.id, lines, bytes };
    });
  }

  /** Removes every record up to and including `upToId`: InfluxDB confirmed their points. */
  remove(upToId: number): Promise<void> {
    return settle(() => {
      this.assertOpen();
      const removed = this.removeRange(upToId);
      this.records -= removed.records;
      this.bytes -= removed.bytes;
      this.isFull = stillFull(this.limits, this.isFull, this.bytes + this.groupBytes);
    });
  }

  /** Commits the group being gathered, then closes the database. */
  close(): Promise<void> {
    return settle(() => {
      if (this.closed) return;
      this.commit();
      this.closed = true;
      this.db.close();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new SpoolError('SPOOL_CLOSED', 'spool is closed');
  }

  private readonly commitWindow = () => this.commit();

  private commit(): void {
    clearTimeout(this.windowTimer);
    clearImmediate(this.windowImmediate);
    this.windowTimer = undefined;
    this.windowImmediate = undefined;
    const lines = this.groupLines;
    if (lines.length === 0) return;
    const resolves = this.groupResolves;
    const rejects = this.groupRejects;
    const bytes = this.groupBytes;
    this.groupLines = [];
    this.groupResolves = [];
    this.groupRejects = [];
    this.groupBytes = 0;
    try {
      this.insertGroup(this.nextId, lines);
    } catch (cause) {
      const error = new SpoolError('SPOOL_WRITE_FAILED', `spool commit failed: ${String(cause)}`, {
        cause,
      });
      for (const reject of rejects) reject(error);
      return;
    }
    this.nextId += lines.length;
    this.records += lines.length;
    this.bytes += bytes;
    this.commitCount++;
    for (const resolve of resolves) resolve();
  }
}

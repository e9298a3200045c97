import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** One refused message or point, as written to the dead-letter file (one JSON object per line). */
export interface DeadLetterEntry {
  /** Receive time (ms since epoch). */
  readonly at: number;
  /** Counted reason: a libs/devices decode code, or `INFLUX_REJECTED` for a line InfluxDB refused. */
  readonly reason: string;
  readonly topic?: string;
  /** The raw MQTT payload. */
  readonly payload?: Uint8Array;
  /** The line-protocol line InfluxDB refused. */
  readonly line?: string;
  readonly detail: string;
}

export interface DeadLetterOptions {
  readonly dir: string;
  /** A file is rotated before it would grow past this. */
  readonly maxFileBytes: number;
  /** Files kept: the current one and `files - 1` rotated ones (`.1` newest); older are deleted. */
  readonly files: number;
}

const FILE = 'dead-letter.ndjson';
const utf8 = new TextDecoder('utf-8', { fatal: true });

function encode(entry: DeadLetterEntry): string {
  let payload: { payload?: string; payloadEncoding?: 'utf8' | 'base64' } = {};
  if (entry.payload !== undefined) {
    try {
      payload = { payload: utf8.decode(entry.payload), payloadEncoding: 'utf8' };
    } catch {
      payload = {
        payload: Buffer.from(entry.payload).toString('base64'),
        payloadEncoding: 'base64',
      };
    }
  }
  return `${JSON.stringify({
    at: new Date(entry.at).toISOString(),
    reason: entry.reason,
    ...(entry.topic === undefined ? {} : { topic: entry.topic }),
    ...payload,
    ...(entry.line === undefined ? {} : { line: entry.line }),
    detail: entry.detail,
  })}\n`;
}

/**
 * The dead-letter file: refused input kept for a person to read (`jq` friendly), bounded and
 * rotated like a log. Writes are grouped: entries arriving together share one append and one
 * fdatasync, and each `write` resolves once its entry is on disk, so the message it came from
 * can be acknowledged. A single entry larger than a file is still written whole.
 */
export class DeadLetterFile {
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  private constructor(
    private readonly options: DeadLetterOptions,
    private handle: FileHandle,
    private size: number,
  ) {}

  static async open(options: DeadLetterOptions): Promise<DeadLetterFile> {
    await mkdir(options.dir, { recursive: true });
    const file = path.join(options.dir, FILE);
    const handle = await open(file, 'a');
    const { size } = await stat(file);
    return new DeadLetterFile(options, handle, size);
  }

  /** Entries written since start (this process). */
  written = 0;

  write(entry: DeadLetterEntry): Promise<void> {
    this.pending.push(encode(entry));
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return done;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing !== undefined) {
      await this.flushing;
      if (this.pending.length > 0 && !this.scheduled) return this.flush();
      return;
    }
    const lines = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    if (lines.length === 0) return;
    this.flushing = this.append(lines).then(
      () => {
        this.written += lines.length;
        for (const w of waiters) w.resolve();
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const w of waiters) w.reject(failure);
      },
    );
    await this.flushing;
    this.flushing = undefined;
    if (this.pending.length > 0 && !this.scheduled) await this.flush();
  }

  private async append(lines: readonly string[]): Promise<void> {
    let chunk = '';
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (
        this.size + chunkBytes + bytes > this.options.maxFileBytes &&
        this.size + chunkBytes > 0
      ) {
        if (chunk !== '') await this.handle.appendFile(chunk);
        this.size += chunkBytes;
        chunk = '';
        chunkBytes = 0;
        await this.rotate();
      }
      chunk += line;
      chunkBytes += bytes;
    }
    if (chunk !== '') await this.handle.appendFile(chunk);
    this.size += chunkBytes;
    await this.handle.datasync();
  }

  private async rotate(): Promise<void> {
    await this.handle.datasync();
    await this.handle.close();
    const file = (n: number) => path.join(this.options.dir, n === 0 ? FILE : `${FILE}.${n}`);
    await rm(file(this.options.files - 1), { force: true });
    for (let n = this.options.files - 2; n >= 0; n--) {
      await rename(file(n), file(n + 1)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    this.handle = await open(file(0), 'a');
    this.size = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}

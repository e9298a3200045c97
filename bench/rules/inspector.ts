// A full GC in another Node process and its memory right after, through the V8 inspector
// (Chrome DevTools Protocol over WebSocket): the process runs with `--inspect=127.0.0.1:0` and
// nothing else in it changes. RSS of a busy process mixes live data with garbage not collected
// yet; after a full GC the difference between two states is what they hold.
import WebSocket from 'ws';

export interface MemoryAfterGc {
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
}

/** The inspector's WebSocket URL from the process's output ("Debugger listening on ws://…"). */
export const inspectorUrl = (output: string) =>
  /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];

export async function gcAndMeasure(url: string): Promise<MemoryAfterGc> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let id = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const mine = ++id;
      const timer = setTimeout(() => reject(new Error(`inspector: ${method} timed out`)), 60_000);
      const onMessage = (data: WebSocket.RawData) => {
        const text = (
          Buffer.isBuffer(data)
            ? data
            : Array.isArray(data)
              ? Buffer.concat(data)
              : Buffer.from(data)
        ).toString();
        const reply = JSON.parse(text) as {
          id?: number;
          result?: unknown;
          error?: unknown;
        };
        if (reply.id !== mine) return;
        ws.off('message', onMessage);
        clearTimeout(timer);
        if (reply.error !== undefined) reject(new Error(JSON.stringify(reply.error)));
        else resolve(reply.result);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id: mine, method, params }));
    });
  try {
    // twice: the first pass may leave weak references and finalizers for the second
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const result = (await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } };
    return JSON.parse(result.result.value) as MemoryAfterGc;
  } finally {
    ws.close();
  }
}

// Baseline (a) of bench/ingest.bench.ts, in its own process: POSTs a file of line protocol (the
// exact lines the ingest writes for the bench's heartbeats) to InfluxDB 1.x /write in batches,
// `concurrency` requests at a time over keep-alive HTTP, and prints one JSON line: the time from
// the first request to the last 204, and its own CPU time in that window. The batch bodies are
// encoded before the clock starts: what is measured is InfluxDB taking the points.
//
//   npx tsx bench/ingest/influx-load.ts <influx url> <db> <rp> <file> <batch> <concurrency>
// then a line on stdin once it printed "ready" (the bench starts its CPU window in between).
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [url, db, rp, file, batchText, concurrencyText] = process.argv.slice(2);
if (!url || !db || !rp || !file)
  throw new Error('usage: influx-load <url> <db> <rp> <file> <batch> <c>');
const batch = Number(batchText ?? 5_000);
const concurrency = Number(concurrencyText ?? 1);

const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
const bodies: Buffer[] = [];
for (let i = 0; i < lines.length; i += batch) {
  bodies.push(Buffer.from(lines.slice(i, i + batch).join('\n')));
}
const target = new URL(url);
// InfluxDB 1.x: precision=ms (the ingest's writes say the same)
const writePath = `/write?${new URLSearchParams({ db, rp, precision: 'ms' }).toString()}`;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function post(body: Buffer): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: writePath,
        method: 'POST',
        agent,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - started }),
        );
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** Says "ready" and waits for a line on stdin: the parent's CPU window starts between the two. */
function ready(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.pause();
      resolve();
    });
    process.stdout.write('ready\n');
  });
}

async function main(): Promise<void> {
  await ready();
  const requestMs: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const answer = await post(body);
        if (answer.status !== 204) {
          throw new Error(`/write answered ${answer.status}: ${answer.text.slice(0, 500)}`);
        }
        requestMs.push(answer.ms);
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  requestMs.sort((a, b) => a - b);
  const at = (p: number) =>
    requestMs[Math.min(requestMs.length - 1, Math.floor(requestMs.length * p))] ?? NaN;
  console.log(
    JSON.stringify({
      points: lines.length,
      requests: bodies.length,
      bodyBytes: bodies.reduce((s, b) => s + b.length, 0),
      ms,
      cpuMs: (cpu.user + cpu.system) / 1_000,
      requestP50Ms: at(0.5),
      requestP99Ms: at(0.99),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

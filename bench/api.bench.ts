// API load bench (issue #3): autocannon with 1,000 connections for 20 s against
//   GET  /api/v1/tickets?status=open   (10,000 tickets and 5,000 devices in the database)
//   POST /api/v1/tickets               (a red ticket with a part reserved from the hospital store)
// and, side by side as the baseline, GET /healthz on the same process (the framework's floor).
// The API runs as `npm start` runs it (compiled, its own process, info logs) on an embedded
// PostgreSQL. Prints a table; writes bench/results/api.json (`--quick`: 200 connections for 5 s
// per endpoint, written to api.quick.json so it never replaces the full figures). Each endpoint's
// requests per second and its latency distribution are recorded for docs/performance.md's plots.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { DEVICE_CATALOG, DEVICE_KINDS } from '@orfleet/devices';
import { startEmbeddedPostgres } from '../apps/api/src/database/embedded-postgres';
import { machineInfo } from './proc';
import type { Distribution } from './series';

const QUICK = process.argv.includes('--quick');
/** Quick: fewer connections too, or a 5 s window is mostly the connection storm's timeouts. */
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? (QUICK ? 200 : 1_000));
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? (QUICK ? 5 : 20));
/** Profile the API process: BENCH_PROFILE_DIR=/tmp/prof writes a .cpuprofile on exit. */
const PROFILE_DIR = process.env['BENCH_PROFILE_DIR'];
/** Run only the scenarios whose name contains this text (the baseline always runs). */
const ONLY = process.env['BENCH_ONLY'] ?? '';
const TICKETS = 10_000;
const DEVICES = 5_000;
const root = path.resolve(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function seed(url: string, token: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params);
  await q(
    `INSERT INTO api_token (name, role, secret_sha256, created_by) VALUES ('bench', 'admin', $1, 'bench')`,
    [createHash('sha256').update(token).digest('hex')],
  );
  await q(`INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by)
           VALUES ('st-bench', 'Bench Hospital', 'city', 'Asia/Shanghai', 'east', 'bench', 'bench')`);
  // every kind that holds its own MQTT session (BLE tags are heard, not registered this way)
  const kinds = DEVICE_KINDS.filter((k) => DEVICE_CATALOG[k].transport === 'mqtt');
  await q(
    `INSERT INTO device (id, kind, model, serial, site_id, install_date, warranty_end, secret_sha256, created_by, updated_by)
     SELECT 'dev-' || i, ($1::text[])[1 + i % array_length($1::text[], 1)], 'M-1', 'SN-' || i, 'st-bench',
            '2026-01-01', '2031-01-01', repeat('a', 64), 'bench', 'bench'
       FROM generate_series(1, $2) AS i`,
    [kinds, DEVICES],
  );
  await q(`INSERT INTO part (part_number, name, class, default_tier, created_by)
           VALUES ('PSU-DEV-24V', 'Device switching power supply 24 V', 'special', 'regional', 'bench')`);
  await q(`INSERT INTO store (id, name, tier, site_id, region, created_by) VALUES
           ('h-bench', 'Hospital store', 'hospital', 'st-bench', NULL, 'bench'),
           ('r-east', 'Regional east', 'regional', NULL, 'east', 'bench'),
           ('national', 'National', 'national', NULL, NULL, 'bench')`);
  await q(
    `INSERT INTO stock (part_number, store_id, on_hand, reserved) VALUES ('PSU-DEV-24V', 'h-bench', 10000000, 0)`,
  );
  // 10,000 tickets: 70% open in various states, 30% closed; due times spread over the next day.
  await q(
    `INSERT INTO ticket (number, severity, title, category, device_id, site_id, zone, source, status,
       policy_id, policy_version, occurrences, event_count, created_at, created_by, updated_at, next_due_at)
     SELECT 'T-2025-' || lpad(i::text, 6, '0'),
            (ARRAY['red','yellow','green'])[1 + i % 3],
            'Seeded ticket ' || i, 'device-unusable', 'dev-' || (1 + i % $2), 'st-bench', 'city', 'hotline',
            CASE WHEN i % 10 < 3 THEN 'closed'
                 ELSE (ARRAY['new','acknowledged','in_progress','on_hold'])[1 + i % 4] END,
            'orfleet-or-service-contract', 1, 1, 0,
            now() - (i || ' minutes')::interval, 'bench', now(),
            CASE WHEN i % 10 < 3 THEN NULL ELSE now() + ((i % 1440) || ' minutes')::interval END
       FROM generate_series(1, $1) AS i`,
    [TICKETS, DEVICES],
  );
  await q('ANALYZE');
  await db.end();
}

async function waitReady(url: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`API not ready at ${url}/readyz within ${deadlineMs} ms`);
}

interface Row {
  name: string;
  requests: number;
  throughputPerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Requests completed in each second of the run. */
  perSecond: number[];
  latency: Distribution;
}

/** autocannon's latency histogram at the quantiles it reports (ms). */
function latencyDistribution(r: autocannon.Result): Distribution {
  const l = r.latency;
  const at: [number, number][] = [
    [0.01, l.p1],
    [0.1, l.p10],
    [0.25, l.p25],
    [0.5, l.p50],
    [0.75, l.p75],
    [0.9, l.p90],
    [0.975, l.p97_5],
    [0.99, l.p99],
    [0.999, l.p99_9],
    [1, l.max],
  ];
  return {
    count: r.requests.total,
    quantiles: at.map(([q]) => q),
    valuesMs: at.map(([, v]) => v),
  };
}

async function load(name: string, options: autocannon.Options): Promise<Row | undefined> {
  if (!name.includes(ONLY) && !name.includes('baseline')) return undefined;
  const perSecond: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { connections: CONNECTIONS, duration: DURATION_S, ...options },
      (error: Error | null, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    // autocannon 8 emits { counter, bytes } each second (its typings declare no argument)
    (instance as NodeJS.EventEmitter).on('tick', ({ counter }: { counter: number }) =>
      perSecond.push(counter),
    );
  });
  return {
    name,
    requests: r.requests.total,
    throughputPerS: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    // the last tick comes with the stop, after the final whole second
    perSecond: perSecond.slice(0, DURATION_S),
    latency: latencyDistribution(r),
  };
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [path.join(root, 'tools/build.cjs')], { stdio: 'ignore' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orfleet-bench-'));
  chmodSync(dir, 0o755);
  const log = { info: () => undefined, warn: (m: string) => console.warn(m) };
  const pg = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort(), log);
  const token = `orf_${randomBytes(32).toString('base64url')}`;
  const apiPort = await freePort();
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const api = spawn(process.execPath, [...profile, path.join(root, 'dist/apps/api/src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: pg.url,
      ORFLEET_API_PORT: String(apiPort),
      ORFLEET_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${apiPort}`;
  try {
    await waitReady(base, 60_000);
    await seed(pg.url, token);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const rows: (Row | undefined)[] = [];
    rows.push(await load('GET /healthz (baseline)', { url: `${base}/healthz` }));
    rows.push(
      await load('GET /api/v1/tickets?status=open', {
        url: `${base}/api/v1/tickets?status=open`,
        headers: auth,
      }),
    );
    rows.push(
      await load('POST /api/v1/tickets (+1 reservation)', {
        url: `${base}/api/v1/tickets`,
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          severity: 'red',
          title: 'Gown dispenser stalled',
          category: 'device-unusable',
          siteId: 'st-bench',
          parts: [{ partNumber: 'PSU-DEV-24V', qty: 1 }],
        }),
      }),
    );
    // Same opening without a part: what the reservation's stock row costs.
    rows.push(
      await load('POST /api/v1/tickets (no part)', {
        url: `${base}/api/v1/tickets`,
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          severity: 'red',
          title: 'Gown dispenser stalled',
          category: 'device-unusable',
          siteId: 'st-bench',
        }),
      }),
    );
    const rssKb = Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(api.pid)])
        .toString()
        .trim(),
    );
    const db = new Client({ connectionString: pg.url });
    await db.connect();
    const created =
      (await db.query<{ n: number }>(`SELECT count(DISTINCT ticket_id)::int AS n FROM reservation`))
        .rows[0]?.n ?? 0;
    const reserved =
      (await db.query<{ n: number }>(`SELECT reserved AS n FROM stock WHERE store_id = 'h-bench'`))
        .rows[0]?.n ?? 0;
    await db.end();

    const [healthz, list, create] = rows;
    const ran = rows.filter((r): r is Row => r !== undefined);
    const baseline = healthz?.throughputPerS ?? 1;
    console.log(
      `\nAPI under load: ${CONNECTIONS} connections × ${DURATION_S} s each, ${TICKETS} tickets, ${DEVICES} devices, ${os.cpus().length} cores\n`,
    );
    console.log(
      '| endpoint | requests/s | ratio to /healthz | p50 ms | p90 ms | p99 ms | max ms | errors | timeouts | non-2xx |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of ran) {
      console.log(
        `| ${r.name} | ${r.throughputPerS} | ${(r.throughputPerS / baseline).toFixed(3)} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.errors} | ${r.timeouts} | ${r.non2xx} |`,
      );
    }
    console.log(
      `\ntickets opened with a part: ${created}, parts reserved: ${reserved} (must match), API RSS at end: ${Math.round(rssKb / 1024)} MiB`,
    );
    const goals = {
      listP99Le250ms: list && list.p99Ms <= 250,
      listZeroErrors: list && list.errors + list.timeouts + list.non2xx === 0,
      createGe500PerS: create && create.throughputPerS >= 500,
      createdEqualsReserved: created === reserved,
    };
    console.log('goals:', goals);
    const out = path.join(__dirname, 'results', QUICK ? 'api.quick.json' : 'api.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ bench: 'api', machine: machineInfo(new Date()), quick: QUICK, connections: CONNECTIONS, durationS: DURATION_S, tickets: TICKETS, devices: DEVICES, results: ran.map((r) => ({ ...r, ratioToHealthz: Number((r.throughputPerS / baseline).toFixed(3)) })), created, reserved, apiRssMiB: Math.round(rssKb / 1024), goals }, null, 2)}\n`,
    );
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

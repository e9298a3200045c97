// Payload validation on the hot path (issue #2): heartbeat payloads decoded and validated per
// second on one core, against JSON.parse alone on the same payloads, measured side by side in
// interleaved rounds. Prints a table and writes bench/results/devices.json (`--quick`: 5 rounds,
// written to devices.quick.json so it never replaces the full figures).
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { decodeMessage, decodePayload, parseTopic } from '@orfleet/devices';
import { machineInfo } from './proc';

const QUICK = process.argv.includes('--quick');
const COUNT = 20_000;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? (QUICK ? 5 : 15));
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error('BENCH_ROUNDS: expected an integer >= 1');
const TARGET_PER_S = 200_000;
const NOW = 1_767_225_600_000;

const topics = Array.from(
  { length: COUNT },
  (_, i) => `or/site-${i % 20}/gown_dispenser/gd-${i}/heartbeat`,
);
const texts = Array.from({ length: COUNT }, (_, i) =>
  JSON.stringify({
    ts: NOW - (i % 5_000),
    seq: 1_000 + i,
    fw: `2.${i % 7}.${i % 13}`,
    uptime_s: 86_400 + i,
    battery_pct: 20 + (i % 80),
    rssi_dbm: -40 - (i % 50),
    temp_c: 30 + (i % 100) / 10,
  }),
);
const bytes = texts.map((t) => new TextEncoder().encode(t));
const decoder = new TextDecoder();
const firstTopic = parseTopic(topics[0]!);
if (!firstTopic.ok) throw new Error('bench topic invalid');
const address = firstTopic.address;

let sink = 0;
const cases: Record<string, () => void> = {
  'JSON.parse (string)': () => {
    for (const t of texts) sink += (JSON.parse(t) as { seq: number }).seq;
  },
  'decodePayload (string)': () => {
    for (const t of texts) sink += decodePayload(address, 'heartbeat', t, NOW).ok ? 1 : 0;
  },
  'JSON.parse (bytes, TextDecoder)': () => {
    for (const b of bytes) sink += (JSON.parse(decoder.decode(b)) as { seq: number }).seq;
  },
  'decodeMessage (topic + bytes)': () => {
    for (let i = 0; i < COUNT; i++) sink += decodeMessage(topics[i]!, bytes[i]!, NOW).ok ? 1 : 0;
  },
};

// Sanity: every payload must be valid, or the bench measures the error path.
for (let i = 0; i < COUNT; i++) {
  const r = decodeMessage(topics[i]!, bytes[i]!, NOW);
  if (!r.ok) throw new Error(`payload ${i} invalid: ${JSON.stringify(r.errors)}`);
}

const samples: Record<string, number[]> = Object.fromEntries(
  Object.keys(cases).map((k) => [k, []]),
);
for (let round = 0; round < ROUNDS + 2; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const start = process.hrtime.bigint();
    run();
    const ns = Number(process.hrtime.bigint() - start);
    if (round >= 2) samples[name]!.push((COUNT / ns) * 1e9); // first two rounds warm the JIT
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const perS = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
const baselineFor = (name: string) =>
  name.includes('bytes') ? perS['JSON.parse (bytes, TextDecoder)']! : perS['JSON.parse (string)']!;

const rows = Object.keys(cases).map((name) => ({
  name,
  payloadsPerS: Math.round(perS[name]!),
  ratioToJsonParse: Number((perS[name]! / baselineFor(name)).toFixed(3)),
}));
console.log(
  `\nheartbeat payload validation, ${COUNT} payloads × ${ROUNDS} rounds, median (one core)\n`,
);
console.log('| case | payloads/s | ratio to JSON.parse |');
console.log('| --- | ---: | ---: |');
for (const r of rows)
  console.log(`| ${r.name} | ${r.payloadsPerS.toLocaleString('en')} | ${r.ratioToJsonParse} |`);
const worst = Math.min(perS['decodePayload (string)']!, perS['decodeMessage (topic + bytes)']!);
const met = worst >= TARGET_PER_S;
console.log(
  `\ntarget ≥ ${TARGET_PER_S.toLocaleString('en')}/s: ${met ? 'met' : 'NOT met'} (${Math.round(worst).toLocaleString('en')}/s)`,
);

const out = path.join(__dirname, 'results', QUICK ? 'devices.quick.json' : 'devices.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      bench: 'devices',
      machine: machineInfo(new Date()),
      quick: QUICK,
      payloads: COUNT,
      rounds: ROUNDS,
      avgPayloadBytes: Math.round(bytes.reduce((s, b) => s + b.length, 0) / COUNT),
      targetPerS: TARGET_PER_S,
      targetMet: met,
      results: rows,
      sink: sink > 0,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${path.relative(process.cwd(), out)}`);

#!/usr/bin/env node
// `npm start`: runs the platform. Until the services exist, it says plainly what is built and
// what is not yet, and starts nothing.
const services = [
  ['broker', 'apps/broker', 'MQTT broker for the device fleet (aedes)'],
  ['ingest', 'apps/ingest', 'MQTT → InfluxDB ingest with a durable spool'],
  ['api', 'apps/api', 'device registry, tickets, SLA clocks, spare parts (NestJS + PostgreSQL)'],
];
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const missing = services.filter(
  ([, dir]) => !fs.existsSync(path.join(root, dir, 'src', 'main.ts')),
);

console.log('orfleet: built so far: libs/devices (device protocol), libs/sla (SLA engine).');
if (missing.length > 0) {
  console.log('orfleet: not yet part of the build, so nothing is started:');
  for (const [name, dir, what] of missing) console.log(`  - ${name} (${dir}): ${what}`);
  console.log("orfleet: `npm test` runs the libraries' tests; see README.md for the roadmap.");
}

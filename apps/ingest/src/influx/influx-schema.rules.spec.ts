import {
  DEFAULT_SCHEMA_TARGET,
  durationMs,
  normalizeQuery,
  parseServerVersion,
  planSchema,
  quoteIdent,
  rollupBackfillStatement,
  rollupQueryStatement,
  schemaTargetProblems,
  type SchemaState,
  type SchemaTarget,
} from './influx-schema.rules';

const target: SchemaTarget = { database: 'orfleet', ...DEFAULT_SCHEMA_TARGET };

describe('parseServerVersion', () => {
  it.each([
    { header: '1.6.7~rc0', body: undefined, expected: { raw: '1.6.7~rc0', major: 1 } },
    { header: '1.11.8', body: undefined, expected: { raw: '1.11.8', major: 1 } },
    { header: 'v2.7.10', body: undefined, expected: { raw: 'v2.7.10', major: 2 } },
    { header: ['3.0.1'], body: undefined, expected: { raw: '3.0.1', major: 3 } },
    {
      header: undefined,
      body: { version: '3.2.0', revision: 'x' },
      expected: { raw: '3.2.0', major: 3 },
    },
    { header: 'unknown', body: { version: '3.2.0' }, expected: { raw: '3.2.0', major: 3 } },
    { header: undefined, body: undefined, expected: undefined },
    { header: '0.13.0', body: undefined, expected: undefined },
    { header: '4.0.0', body: undefined, expected: undefined },
  ])('$header / $body', ({ header, body, expected }) => {
    expect(parseServerVersion(header, body)).toEqual(expected);
  });
});

describe('durationMs', () => {
  it.each([
    ['30d', 30 * 86_400_000],
    ['400d', 400 * 86_400_000],
    ['4w', 28 * 86_400_000],
    ['1m', 60_000],
    ['90s', 90_000],
    ['1500ms', 1_500],
    ['INF', 0],
    ['inf', 0],
    ['720h0m0s', 30 * 86_400_000], // SHOW RETENTION POLICIES
    ['9600h0m0s', 400 * 86_400_000],
    ['0s', 0],
    ['1h30m', 5_400_000],
    ['', undefined],
    ['30', undefined],
    ['30 d', undefined],
    ['d30', undefined],
  ])('%p → %p', (text, expected) => {
    expect(durationMs(text)).toBe(expected);
  });
});

describe('quoteIdent', () => {
  it.each([
    ['orfleet', '"orfleet"'],
    ['my-db', '"my-db"'],
    ['we"ird', '"we\\"ird"'],
    ['back\\slash', '"back\\\\slash"'],
  ])('%p → %p', (name, expected) => {
    expect(quoteIdent(name)).toBe(expected);
  });
});

describe('schemaTargetProblems', () => {
  it('accepts the defaults', () => {
    expect(schemaTargetProblems(target)).toEqual([]);
  });

  it.each([
    { change: { database: '' }, problem: 'database ""' },
    { change: { database: 'a b' }, problem: 'database "a b"' },
    { change: { rawRetention: '30 days' }, problem: 'raw retention "30 days"' },
    { change: { rawRetention: '720h0m0s' }, problem: 'raw retention "720h0m0s"' }, // one unit only
    { change: { rawRetention: '30m' }, problem: 'raw retention 30m: at least 1h' },
    { change: { rollupRetention: 'forever' }, problem: 'rollup retention "forever"' },
    { change: { rollupEvery: '0s' }, problem: 'rollup every "0s"' },
    { change: { rollupFor: '30s' }, problem: 'rollup for "30s"' },
  ])('$problem', ({ change, problem }) => {
    const problems = schemaTargetProblems({ ...target, ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('accepts INF retention', () => {
    expect(schemaTargetProblems({ ...target, rollupRetention: 'INF' })).toEqual([]);
  });
});

// As InfluxDB 1.6.7 prints the CQ back (quotes dropped).
const printedCq =
  'CREATE CONTINUOUS QUERY cq_rollup_1m ON orfleet RESAMPLE EVERY 1m FOR 10m BEGIN SELECT mean(*) ' +
  'INTO orfleet.rollup_1m.:MEASUREMENT FROM orfleet.raw./.*/ GROUP BY time(1m), * END';

describe('normalizeQuery', () => {
  it('matches our statement with the form influxd prints back', () => {
    expect(normalizeQuery(printedCq)).toBe(normalizeQuery(rollupQueryStatement(target)));
  });

  it('compares durations by value', () => {
    expect(normalizeQuery('FOR 600s')).toBe(normalizeQuery('FOR 10m'));
    expect(normalizeQuery('FOR 11m')).not.toBe(normalizeQuery('FOR 10m'));
  });
});

const upToDate: SchemaState = {
  databaseExists: true,
  retentionPolicies: [
    { name: 'autogen', duration: '0s', default: false },
    { name: 'raw', duration: '720h0m0s', default: true },
    { name: 'rollup_1m', duration: '9600h0m0s', default: false },
  ],
  continuousQueries: [{ name: 'cq_rollup_1m', query: printedCq }],
};

describe('planSchema', () => {
  it('creates everything on a server without the database', () => {
    expect(
      planSchema({ databaseExists: false, retentionPolicies: [], continuousQueries: [] }, target),
    ).toEqual([
      'CREATE DATABASE "orfleet" WITH DURATION 30d REPLICATION 1 NAME "raw"',
      'CREATE RETENTION POLICY "rollup_1m" ON "orfleet" DURATION 400d REPLICATION 1',
      rollupQueryStatement(target),
    ]);
  });

  it('does nothing when the server is up to date', () => {
    expect(planSchema(upToDate, target)).toEqual([]);
  });

  it('adds the RPs and CQ to a database made by someone else (autogen default)', () => {
    expect(
      planSchema(
        {
          databaseExists: true,
          retentionPolicies: [{ name: 'autogen', duration: '0s', default: true }],
          continuousQueries: [],
        },
        target,
      ),
    ).toEqual([
      'CREATE RETENTION POLICY "raw" ON "orfleet" DURATION 30d REPLICATION 1 DEFAULT',
      'CREATE RETENTION POLICY "rollup_1m" ON "orfleet" DURATION 400d REPLICATION 1',
      rollupQueryStatement(target),
    ]);
  });

  it.each([
    {
      case: 'raw duration changed',
      change: { rawRetention: '14d' },
      expected: ['ALTER RETENTION POLICY "raw" ON "orfleet" DURATION 14d'],
    },
    {
      case: 'same duration, other spelling',
      change: { rawRetention: '720h' },
      expected: [],
    },
    {
      case: 'rollup duration changed',
      change: { rollupRetention: 'INF' },
      expected: ['ALTER RETENTION POLICY "rollup_1m" ON "orfleet" DURATION INF'],
    },
    {
      case: 'CQ window changed',
      change: { rollupFor: '1h' },
      expected: [
        'DROP CONTINUOUS QUERY "cq_rollup_1m" ON "orfleet"',
        rollupQueryStatement({ ...target, rollupFor: '1h' }),
      ],
    },
  ])('$case', ({ change, expected }) => {
    expect(planSchema(upToDate, { ...target, ...change })).toEqual(expected);
  });

  it('makes raw the default again when someone changed it', () => {
    const state: SchemaState = {
      ...upToDate,
      retentionPolicies: [
        { name: 'autogen', duration: '0s', default: true },
        { name: 'raw', duration: '720h0m0s', default: false },
        { name: 'rollup_1m', duration: '9600h0m0s', default: false },
      ],
    };
    expect(planSchema(state, target)).toEqual([
      'ALTER RETENTION POLICY "raw" ON "orfleet" DEFAULT',
    ]);
  });

  it('recreates a CQ someone defined differently under our name', () => {
    const state: SchemaState = {
      ...upToDate,
      continuousQueries: [{ name: 'cq_rollup_1m', query: printedCq.replace('mean', 'max') }],
    };
    expect(planSchema(state, target)).toEqual([
      'DROP CONTINUOUS QUERY "cq_rollup_1m" ON "orfleet"',
      rollupQueryStatement(target),
    ]);
  });
});

describe('rollupBackfillStatement', () => {
  it('rounds the bounds down to the minute', () => {
    expect(
      rollupBackfillStatement(
        'orfleet',
        new Date('2026-03-01T10:00:59.999Z'),
        new Date('2026-03-01T12:30:10Z'),
      ),
    ).toBe(
      'SELECT mean(*) INTO "orfleet"."rollup_1m".:MEASUREMENT FROM "orfleet"."raw"./.*/ ' +
        "WHERE time >= '2026-03-01T10:00:00.000Z' AND time < '2026-03-01T12:30:00.000Z' " +
        'GROUP BY time(1m), *',
    );
  });
});

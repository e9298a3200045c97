import fc from 'fast-check';
import {
  InterpolationError,
  autoInterval,
  formatVariable,
  interpolate,
  intervalMs,
  rfc3339Nano,
  variablesUsed,
} from './macros.rules';
import type { InterpolationContext, VariableSelection } from './macros.rules';

const from = new Date('2026-03-02T00:00:00Z');
const to = new Date('2026-03-03T00:00:00Z');

const multi = (
  selected: VariableSelection['selected'],
  options: string[] = ['st-anne', 'st-luke'],
): VariableSelection => ({
  multi: true,
  includeAll: true,
  options,
  selected,
});

const ctx = (variables: Record<string, VariableSelection> = {}): InterpolationContext => ({
  from,
  to,
  interval: '5m',
  variables,
});

describe('formatVariable', () => {
  it.each<[string, VariableSelection, string, string]>([
    ['one value, InfluxQL: regex-escaped, no group', multi(['st-anne']), 'influxql', 'st-anne'],
    [
      'two values, InfluxQL: a group',
      multi(['st-anne', 'st-luke']),
      'influxql',
      '(st-anne|st-luke)',
    ],
    ['All, InfluxQL: every option', multi('$__all'), 'influxql', '(st-anne|st-luke)'],
    ['All of one option, InfluxQL: still a group', multi('$__all', ['a']), 'influxql', '(a)'],
    ['regex characters escaped', multi(['v1.2/x', 'a|b']), 'influxql', '(v1\\.2\\/x|a\\|b)'],
    ['one value, SQL: quoted', multi(['st-anne']), 'sql', "'st-anne'"],
    ['All, SQL: a quoted list', multi('$__all'), 'sql', "'st-anne','st-luke'"],
    ['quotes doubled in SQL', multi(["o'brien"]), 'sql', "'o''brien'"],
    [
      'a custom all value goes in verbatim',
      { ...multi('$__all'), allValue: '.*' },
      'influxql',
      '.*',
    ],
    [
      'a plain variable is neither escaped nor quoted',
      { multi: false, includeAll: false, options: ['1.5'], selected: ['1.5'] },
      'sql',
      '1.5',
    ],
  ])('%s', (_what, variable, dialect, expected) => {
    expect(formatVariable('v', variable, dialect as 'influxql' | 'sql')).toBe(expected);
  });

  describe('a custom all value: inserted as it is, never escaped nor quoted', () => {
    const all = (allValue: string) => ({ ...multi('$__all'), allValue });
    it.each<[string | undefined, 'influxql' | 'sql', string, string]>([
      [undefined, 'influxql', '.*', '.*'],
      [undefined, 'sql', '.*', '.*'],
      ['regex', 'influxql', '.*', '.*'],
      ['csv', 'sql', '.*', '.*'],
      ['sqlstring', 'sql', "it's", "it's"],
      ['raw', 'sql', 'a|b', 'a|b'],
      ['text', 'sql', '.*', 'All'],
      ['percentencode', 'influxql', '.* x', '.*%20x'],
    ])('format %s, %s: %j → %j', (format, dialect, allValue, expected) => {
      expect(formatVariable('v', all(allValue), dialect, format)).toBe(expected);
    });

    it('whatever the options (property): the statement is the same at 1 or 100,000 of them', () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,8}$/), { maxLength: 50 }),
          (options) => {
            const v = { ...multi('$__all', options), allValue: '.*' };
            expect(formatVariable('v', v, 'influxql')).toBe('.*');
            expect(formatVariable('v', v, 'sql', 'csv')).toBe('.*');
          },
        ),
      );
    });
  });

  it.each<[string, string[], string]>([
    ['regex', ['v1.2', 'a/b'], '(v1\\.2|a\\/b)'],
    ['regex', ['gd-1'], 'gd-1'],
    ['csv', ['gd-1', 'sd-1'], 'gd-1,sd-1'],
    ['raw', ['gd-1', 'sd-1'], 'gd-1,sd-1'],
    ['sqlstring', ["o'brien", 'x'], "'o''brien','x'"],
    ['text', ['gd-1', 'sd-1'], 'gd-1 + sd-1'],
    ['percentencode', ['a b', 'c'], 'a%20b%2Cc'],
  ])('a selection in format %s: %j → %s', (format, selected, expected) => {
    expect(formatVariable('v', multi(selected, selected), 'sql', format)).toBe(expected);
  });

  it('refuses a format it does not model', () => {
    expect(() => formatVariable('v', multi(['a']), 'sql', 'lucene')).toThrow(
      expect.objectContaining({ code: 'FORMAT_UNKNOWN' }) as Error,
    );
  });

  it('refuses an empty choice and All without includeAll', () => {
    expect(() => formatVariable('site', multi([]), 'sql')).toThrow(InterpolationError);
    expect(() => formatVariable('site', multi('$__all', []), 'sql')).toThrow(/no value chosen/);
    expect(() =>
      formatVariable(
        'site',
        { multi: true, includeAll: false, options: ['a'], selected: '$__all' },
        'sql',
      ),
    ).toThrow(/includeAll is off/);
  });

  it('an escaped InfluxQL regex matches exactly the chosen values (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        fc.string({ maxLength: 12 }),
        (values, other) => {
          const regex = new RegExp(`^${formatVariable('v', multi(values, values), 'influxql')}$`);
          for (const v of values) expect(regex.test(v)).toBe(true);
          expect(regex.test(other)).toBe(values.includes(other));
        },
      ),
    );
  });
});

describe('interpolate, InfluxQL', () => {
  it('substitutes $timeFilter, $__interval, $__range_s and variables as Grafana does', () => {
    const query =
      'SELECT mean("x") FROM "t" WHERE "site" =~ /^$site$/ AND "device" =~ /^${device}$/ AND $timeFilter GROUP BY time($__interval) fill(null) -- $__range_s';
    expect(
      interpolate(
        query,
        ctx({ site: multi('$__all'), device: multi(['gd-1'], ['gd-1']) }),
        'influxql',
      ),
    ).toBe(
      `SELECT mean("x") FROM "t" WHERE "site" =~ /^(st-anne|st-luke)$/ AND "device" =~ /^gd-1$/ AND time >= ${from.getTime()}ms and time <= ${to.getTime()}ms GROUP BY time(5m) fill(null) -- 86400`,
    );
  });

  it.each([
    [
      'an undefined variable',
      'SELECT 1 FROM "t" WHERE "site" =~ /^$nowhere$/',
      'VARIABLE_UNDEFINED',
    ],
    ['a SQL macro', 'SELECT 1 FROM "t" WHERE $__timeFilter(time)', 'VARIABLE_UNDEFINED'],
  ])('refuses %s, never leaving it in the statement', (_what, query, code) => {
    expect(() => interpolate(query, ctx(), 'influxql')).toThrow(
      expect.objectContaining({ code }) as Error,
    );
  });
});

describe("interpolate, the boards' All patterns", () => {
  const vars = (selected: VariableSelection['selected']) => ({
    device: { ...multi(selected, ['gd-1', 'sd-1']), allValue: '.*' },
  });
  it('InfluxQL: All matches every tag value, a selection only its own', () => {
    const query = '"device" =~ /^$device$/';
    expect(interpolate(query, ctx(vars('$__all')), 'influxql')).toBe('"device" =~ /^.*$/');
    expect(interpolate(query, ctx(vars(['gd-1', 'sd-1'])), 'influxql')).toBe(
      '"device" =~ /^(gd-1|sd-1)$/',
    );
  });

  it('SQL: All is a constant true, a selection an array of its values', () => {
    const query = "('${device:csv}' = '.*' OR d.id = ANY(string_to_array('${device:csv}', ',')))";
    expect(interpolate(query, ctx(vars('$__all')), 'sql')).toBe(
      "('.*' = '.*' OR d.id = ANY(string_to_array('.*', ',')))",
    );
    expect(interpolate(query, ctx(vars(['gd-1', 'sd-1'])), 'sql')).toBe(
      "('gd-1,sd-1' = '.*' OR d.id = ANY(string_to_array('gd-1,sd-1', ',')))",
    );
  });
});

describe('interpolate, SQL', () => {
  it('expands the PostgreSQL macros after the variables', () => {
    const query =
      'SELECT $__timeGroupAlias(t.created_at, $__interval), count(*) FROM ticket t WHERE $__timeFilter(t.created_at) AND t.site_id IN ($site) AND t.due < $__timeTo() AND t.due > $__timeFrom() GROUP BY 1';
    expect(interpolate(query, ctx({ site: multi('$__all') }), 'sql')).toBe(
      "SELECT floor(extract(epoch from t.created_at)/300)*300 AS \"time\", count(*) FROM ticket t WHERE t.created_at BETWEEN '2026-03-02T00:00:00Z' AND '2026-03-03T00:00:00Z' AND t.site_id IN ('st-anne','st-luke') AND t.due < '2026-03-03T00:00:00Z' AND t.due > '2026-03-02T00:00:00Z' GROUP BY 1",
    );
  });

  it('$__timeGroup takes a quoted or bare interval', () => {
    expect(interpolate("$__timeGroup(at, '1h')", ctx(), 'sql')).toBe(
      'floor(extract(epoch from at)/3600)*3600',
    );
    expect(interpolate('$__timeGroup(at, 1d)', ctx(), 'sql')).toBe(
      'floor(extract(epoch from at)/86400)*86400',
    );
  });

  it.each([
    ['an unknown macro', 'SELECT $__unixEpochGroup(at, 1m)', 'MACRO_UNKNOWN'],
    ['a macro missing its column', 'SELECT 1 WHERE $__timeFilter()', 'MACRO_ARGUMENTS'],
    ['a bad interval', 'SELECT $__timeGroup(at, soon)', 'INTERVAL_INVALID'],
    ['an undefined variable', 'SELECT 1 WHERE site IN ($site)', 'VARIABLE_UNDEFINED'],
  ])('refuses %s', (_what, query, code) => {
    expect(() => interpolate(query, ctx(), 'sql')).toThrow(
      expect.objectContaining({ code }) as Error,
    );
  });
});

describe('rfc3339Nano', () => {
  it.each([
    ['2026-03-02T00:00:00.000Z', '2026-03-02T00:00:00Z'],
    ['2026-03-02T00:00:00.120Z', '2026-03-02T00:00:00.12Z'],
    ['2026-03-02T00:00:00.001Z', '2026-03-02T00:00:00.001Z'],
    ['2026-03-02T10:20:30.500Z', '2026-03-02T10:20:30.5Z'],
  ])('%s → %s', (iso, expected) => {
    expect(rfc3339Nano(new Date(iso))).toBe(expected);
  });
});

describe('variablesUsed', () => {
  it('finds $name, ${name} and [[name]], not the built-ins', () => {
    expect(
      variablesUsed(
        'WHERE a =~ /^$site$/ AND b IN (${kind:csv}) AND c = [[device]] AND $timeFilter AND $__timeFilter(x) GROUP BY time($__interval) -- $site',
      ),
    ).toEqual(['site', 'kind', 'device']);
  });
});

describe('intervals', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ["'1h'", 3_600_000],
    ['1d', 86_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(intervalMs(text)).toBe(ms);
  });

  it.each([
    [86_400_000, 288, 10_000, '5m'],
    [86_400_000, 1_000, 10_000, '1m'],
    [3_600_000, 1_000, 10_000, '10s'],
    [30 * 86_400_000, 500, 10_000, '1h'],
    [365 * 86_400_000, 50, 10_000, '7d'],
    [1_000, 1_000, 0, '10ms'],
  ])('autoInterval(%d ms, %d points, min %d ms) = %s', (range, points, min, expected) => {
    expect(autoInterval(range, points, min)).toBe(expected);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDuration, parseScenarioText, validateScenario } from './scenario.rules';

const site = {
  id: 'st-anne',
  name: 'St Anne',
  zone: 'city',
  timezone: 'Europe/Paris',
  region: 'east',
  suites: 1,
};

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['45', 45_000],
    [30, 30_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '1x', '-5s', 'm', '1 m'])('refuses %p', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('validateScenario', () => {
  it('fills defaults for what a site leaves out', () => {
    const result = validateScenario({ name: 'x', sites: [site] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [s] = result.scenario.sites;
    expect(s).toMatchObject({
      roomsPerSuite: 4,
      perSuite: { gown_dispenser: 2, shoe_dispenser: 2, recycler: 1 },
      schedule: { start: '07:30', end: '18:00' },
      areas: 0,
    });
    expect(result.scenario.seed).toBe(1);
  });

  it('reports every problem at once, with its path', () => {
    const result = validateScenario({
      name: 'x',
      sites: [
        { ...site, zone: 'downtown', suites: -1, timezone: 'Mars/Olympus', colour: 'red' },
        { ...site, perSuite: { gown_dispenser: 'two' } },
      ],
      stores: [{ id: 'st', tier: 'hospital', siteId: 'nowhere', stock: { 'NOT-A-PART': 1 } }],
      faults: [
        { at: 'soon', inject: 'motor_stall', device: 'x' },
        { at: '1m', inject: 'explode', device: 'x' },
        { at: '1m', inject: 'skew', device: 'x' },
        { at: '600h', inject: 'kill', device: 'x' },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sites\[0\]\.colour: unknown field/),
        expect.stringMatching(/^sites\[0\]\.zone: expected one of city, suburb, remote/),
        expect.stringMatching(/^sites\[0\]\.suites: expected an integer 0\.\.99, got -1/),
        expect.stringMatching(/^sites\[0\]\.timezone: unknown IANA time zone/),
        expect.stringMatching(/^sites\[1\]\.id: site st-anne appears twice/),
        expect.stringMatching(/^sites\[1\]\.perSuite\.gown_dispenser: expected an integer/),
        expect.stringMatching(/^stores\[0\]\.stock\.NOT-A-PART: not a part number/),
        expect.stringMatching(/^stores\[0\]\.siteId: site nowhere is not in this scenario/),
        expect.stringMatching(/^faults\[0\]\.at: expected a duration/),
        expect.stringMatching(/^faults\[1\]\.inject: expected one of kill, kill_station/),
        expect.stringMatching(/^faults\[2\]\.seconds: skew needs whole seconds/),
        // Node's timers would fire it at once
        'faults[3].at: at most 596h (about 24 days), got "600h"',
      ]),
    );
  });

  it('turns scripted faults into stdin commands, in time order', () => {
    const result = validateScenario({
      sites: [site],
      faults: [
        { at: '2m', inject: 'site_down', site: 'st-anne' },
        { at: '30s', inject: 'skew', device: 'st-anne-srv-1', seconds: -3600 },
        { at: 90, inject: 'kill_station', station: 'st-anne-bs-a01-1' },
      ],
    });
    expect(result.ok && result.scenario.faults).toEqual([
      { atMs: 30_000, command: 'skew st-anne-srv-1 -3600' },
      { atMs: 90_000, command: 'kill-station st-anne-bs-a01-1' },
      { atMs: 120_000, command: 'site-down st-anne' },
    ]);
  });

  it('refuses a site id too long for the device ids built from it', () => {
    const result = validateScenario({ sites: [{ ...site, id: 'a'.repeat(41) }] });
    expect(!result.ok && result.errors[0]).toMatch(
      /^sites\[0\]\.id: expected a lowercase id .* 2\.\.40/,
    );
  });

  it('needs at least one site', () => {
    expect(validateScenario({ sites: [] })).toEqual({
      ok: false,
      errors: ['sites: at least one site'],
    });
    expect(validateScenario([])).toEqual({
      ok: false,
      errors: ['scenario: expected an object at the top level'],
    });
  });

  it('says where a YAML file is broken', () => {
    const result = parseScenarioText('sites: [\n  - id: x', 'bad.yaml');
    expect(!result.ok && result.errors[0]).toMatch(/^bad\.yaml: not valid YAML: /);
    const json = parseScenarioText('{"sites": ', 'bad.json');
    expect(!json.ok && json.errors[0]).toMatch(/^bad\.json: not valid JSON: /);
  });

  it.each(['demo-hospital.yaml', 'hospital-group.yaml'])('the shipped %s is valid', (file) => {
    const text = readFileSync(path.join(__dirname, '..', 'scenarios', file), 'utf8');
    const result = parseScenarioText(text, file);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

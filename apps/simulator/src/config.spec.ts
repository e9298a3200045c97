import { parseCli, parseUntil } from './config';

const now = new Date('2026-03-02T08:00:00Z');

describe('parseCli', () => {
  it('takes the documented options', () => {
    const result = parseCli(
      [
        '--scenario',
        's.yaml',
        '--api-url',
        'http://api:3000/',
        '--token',
        'orf_x',
        '--mqtt-url=mqtt://b:1883',
        '--duration',
        '10m',
        '--fault',
        '1m motor-stall gd-1',
        '--fault',
        '90s kill bs-1',
      ],
      {},
      now,
    );
    expect(result).toEqual({
      ok: true,
      config: {
        scenarioFile: 's.yaml',
        apiUrl: 'http://api:3000',
        token: 'orf_x',
        tokenFile: './data/admin.token',
        mqttUrl: 'mqtt://b:1883',
        dataDir: './data/simulator',
        durationMs: 600_000,
        untilMs: undefined,
        faults: [
          { atMs: 60_000, command: 'motor-stall gd-1' },
          { atMs: 90_000, command: 'kill bs-1' },
        ],
        progressMs: 5_000,
        connectPerS: 50,
      },
    });
  });

  it('falls back to the environment', () => {
    const result = parseCli(
      ['--scenario', 's.yaml'],
      { ORFLEET_API_URL: 'http://x:1', ORFLEET_API_TOKEN: 'orf_e', MQTT_URL: 'mqtt://y:2' },
      now,
    );
    expect(result.ok && result.config).toMatchObject({
      apiUrl: 'http://x:1',
      token: 'orf_e',
      mqttUrl: 'mqtt://y:2',
    });
  });

  it('lists everything wrong at once', () => {
    const result = parseCli(
      [
        '--duration',
        'forever',
        '--until',
        'tomorrow',
        '--mqtt-url',
        'http://b',
        '--fault',
        'motor-stall',
        '--connect-rate',
        '0',
        '--colour',
        'red',
        '--token',
      ],
      {},
      now,
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        '--colour: unknown option',
        'red: unknown option',
        '--token: needs a value',
        '--scenario: required (a YAML or JSON scenario file)',
        '--duration: "forever" is not a duration like 90s, 10m or 1h30m',
        '--until: "tomorrow" is neither HH:MM nor an ISO date-time',
        '--fault: "motor-stall" is not "<at> <command>", e.g. "1m motor-stall gd-1"',
        '--connect-rate: expected 1..1000 sessions per second, got "0"',
        '--mqtt-url: "http://b" is not a mqtt:// or mqtts:// or tcp:// URL',
      ],
    });
  });

  it('refuses times beyond what its timers can wait for (they would fire at once)', () => {
    const result = parseCli(
      [
        '--scenario',
        's.yaml',
        '--duration',
        '600h',
        '--until',
        '2026-04-02T08:00:00Z',
        '--fault',
        '597h kill gd-1',
      ],
      {},
      now,
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        '--duration: "600h" is longer than 596h (about 24 days)',
        '--until: 2026-04-02T08:00:00Z is more than 596h (about 24 days) ahead',
        '--fault: "597h kill gd-1" is later than 596h (about 24 days)',
      ],
    });
    const longest = parseCli(
      ['--scenario', 's.yaml', '--duration', '596h', '--fault', '596h kill gd-1'],
      {},
      now,
    );
    expect(longest).toMatchObject({ ok: true, config: { durationMs: 596 * 3_600_000 } });
  });

  it('asks for help', () =>
    expect(parseCli(['--help'], {}, now)).toEqual({ ok: false, errors: [], help: true }));
});

describe('parseUntil', () => {
  it('reads an ISO time, and HH:MM as the next such local time', () => {
    expect(parseUntil('2026-03-02T09:00:00Z', now)).toBe(Date.parse('2026-03-02T09:00:00Z'));
    const at = parseUntil('07:00', now) as number;
    expect(at).toBeGreaterThan(now.getTime());
    expect(at - now.getTime()).toBeLessThanOrEqual(24 * 3_600_000);
    expect(new Date(at).getHours()).toBe(7);
    expect(parseUntil('25:00', now)).toBeUndefined();
  });
});

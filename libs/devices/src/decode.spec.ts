import { MAX_FUTURE_SKEW_MS, MAX_PAST_SKEW_MS, decodeMessage } from './decode';
import { MAX_ERRORS_PER_MESSAGE } from './errors';

const NOW = 1_767_225_600_000;
const HB = 'or/st-anne/gown_dispenser/gd-01/heartbeat';
const TELEMETRY = 'or/st-anne/gown_dispenser/gd-01/telemetry';
const SIGHTINGS = 'or/st-anne/base_station/bs-01/sightings';

function errorsOf(topic: string, payload: string | Uint8Array): string[] {
  const result = decodeMessage(topic, payload, NOW);
  if (result.ok) throw new Error('expected the message to be refused');
  return result.errors.map((e) => e.message);
}

describe('decodeMessage error messages', () => {
  it.each([
    ['{"battery_pct":140}', 'field battery_pct: expected 0..100, got 140'],
    ['{"seq":1.5}', 'field seq: expected an integer 0..4294967295, got 1.5'],
    ['{"fw":""}', 'field fw: expected 1..64 characters, got 0'],
    ['{"temp_c":"hot"}', 'field temp_c: expected a number -40..125, got "hot"'],
    ['{"rssi_dbm":1e999}', 'field rssi_dbm: expected -130..0, got null'],
    ['{"uptime_s":null}', 'field uptime_s: expected an integer 0..4294967295, got null'],
    ['{"volts":12}', 'field volts: not part of the heartbeat payload'],
    ['{"__proto__":{"seq":1}}', 'field __proto__: not part of the heartbeat payload'],
    ['"hello"', 'payload: expected a JSON object, got "hello"'],
    ['null', 'payload: expected a JSON object, got null'],
  ])('%s → %s', (payload, message) => {
    expect(errorsOf(HB, payload)).toEqual([message]);
  });

  it('explains bad JSON with the parser message', () => {
    expect(errorsOf(HB, '{"seq":')[0]).toMatch(/^payload: not JSON \(.+\)$/);
  });

  it('reports several problems at once, but a bounded number', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x${i}`, i]));
    expect(errorsOf(HB, JSON.stringify(many))).toHaveLength(MAX_ERRORS_PER_MESSAGE);
    expect(errorsOf(HB, '{"seq":-1,"battery_pct":101}')).toHaveLength(2);
  });

  it('names the sighting entry that is wrong', () => {
    const payload = {
      ts: NOW,
      devices: [
        { id: 'wb-1', rssi_dbm: -60 },
        { id: 'wb-2', rssi_dbm: 5 },
      ],
    };
    expect(errorsOf(SIGHTINGS, JSON.stringify(payload))).toEqual([
      'field devices[1].rssi_dbm: expected -130..0, got 5',
    ]);
  });

  it('requires telemetry to carry at least one field', () => {
    expect(errorsOf(TELEMETRY, `{"ts":${NOW}}`)[0]).toMatch(
      /^telemetry of gown_dispenser: no fields; expected at least one of motor_state, /,
    );
  });
});

describe('decodeMessage limits', () => {
  it('measures the limit in UTF-8 bytes, for strings and bytes alike', () => {
    // 5,500 three-byte characters: 16,500 bytes, over the 16 KiB heartbeat limit.
    const text = JSON.stringify({ fw: '€'.repeat(5_500) });
    expect(text.length).toBeLessThan(16 * 1024);
    expect(errorsOf(HB, text)).toEqual([
      `payload: ${text.length + 11_000} bytes, heartbeat allows at most 16384`,
    ]);
    expect(errorsOf(HB, new TextEncoder().encode(text))[0]).toMatch(/^payload: 16509 bytes/);
  });

  it('allows sightings up to 256 KiB', () => {
    const devices = Array.from({ length: 1_000 }, (_, i) => ({
      id: `wb-${i}`,
      rssi_dbm: -70,
      battery_pct: 55,
    }));
    const payload = JSON.stringify({ ts: NOW, devices });
    expect(payload.length).toBeGreaterThan(16 * 1024);
    expect(decodeMessage(SIGHTINGS, payload, NOW).ok).toBe(true);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(errorsOf(HB, Uint8Array.from([0x7b, 0xc3, 0x28, 0x7d]))).toEqual([
      'payload: not valid UTF-8',
    ]);
  });
});

describe('decodeMessage timestamps', () => {
  it.each([
    ['absent', undefined, NOW, false],
    ['1 s old', NOW - 1_000, NOW - 1_000, false],
    ['exactly 24 h ahead', NOW + MAX_FUTURE_SKEW_MS, NOW + MAX_FUTURE_SKEW_MS, false],
    ['24 h + 1 ms ahead', NOW + MAX_FUTURE_SKEW_MS + 1, NOW, true],
    ['exactly 30 days old', NOW - MAX_PAST_SKEW_MS, NOW - MAX_PAST_SKEW_MS, false],
    ['30 days + 1 ms old', NOW - MAX_PAST_SKEW_MS - 1, NOW, true],
    ['epoch 0 (a device that lost its clock)', 0, NOW, true],
  ])('device ts %s → point at the right time', (_label, ts, expectedTs, skewed) => {
    const result = decodeMessage(HB, JSON.stringify(ts === undefined ? {} : { ts }), NOW);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.message.ts).toBe(expectedTs);
    expect(result.message.receivedAt).toBe(NOW);
    expect(result.message.warnings.map((w) => w.code)).toEqual(skewed ? ['CLOCK_SKEW'] : []);
  });
});

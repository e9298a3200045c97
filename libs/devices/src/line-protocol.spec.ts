import { decodeMessage } from './decode';
import { escapeMeasurement, escapeTag, quoteString, toLines } from './line-protocol';

describe('line protocol escaping', () => {
  it.each([
    ['GD-200', 'GD-200'],
    ['GD 200', 'GD\\ 200'],
    ['a,b=c', 'a\\,b\\=c'],
    ['ends with backslash\\', 'ends\\ with\\ backslash'],
    ['ends with two\\\\', 'ends\\ with\\ two'],
    ['mid\\dle', 'mid\\dle'],
    ['new\nline\ttab', 'newlinetab'],
    ['\\', undefined],
    ['\n', undefined],
    ['', undefined],
  ])('tag value %j → %j', (raw, escaped) => {
    expect(escapeTag(raw)).toBe(escaped);
  });

  it('escapes measurements and string fields', () => {
    expect(escapeMeasurement('a b,c=d')).toBe('a\\ b\\,c=d');
    expect(quoteString('say "hi" \\ bye\nnext')).toBe('"say \\"hi\\" \\\\ bye\\nnext"');
  });
});

describe('toLines', () => {
  const NOW = 1_767_225_600_000;
  const decode = (topic: string, payload: unknown) => {
    const result = decodeMessage(topic, JSON.stringify(payload), NOW);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.message;
  };

  it('drops a model tag that has nothing printable, and keeps the point', () => {
    const message = decode('or/h1/server/srv-1/heartbeat', { seq: 3 });
    expect(toLines(message, { model: '\\' })).toEqual([
      `heartbeat,device=srv-1,kind=server,site=h1 beat=1i,seq=3i ${NOW}`,
    ]);
  });

  it('writes integers with i, floats bare, booleans and strings typed', () => {
    const message = decode('or/h1/shoe_dispenser/sd-1/telemetry', {
      stock_level: 3,
      motor_current_ma: 250,
      door_open: true,
      motor_state: 'overcurrent',
    });
    expect(toLines(message)).toEqual([
      `telemetry,device=sd-1,kind=shoe_dispenser,site=h1 door_open=true,motor_current_ma=250,motor_state="overcurrent",stock_level=3i ${NOW}`,
    ]);
  });

  it('fans sightings out into one point per heard device at the batch time', () => {
    const message = decode('or/h1/base_station/bs-9/sightings', {
      ts: NOW - 5_000,
      devices: [
        { id: 'wb-1', rssi_dbm: -60 },
        { id: 'bc-2', rssi_dbm: -90, battery_pct: 9 },
      ],
    });
    expect(toLines(message, { model: 'ignored for sightings' })).toEqual([
      `sighting,device=wb-1,gateway=bs-9,site=h1 rssi_dbm=-60 ${NOW - 5_000}`,
      `sighting,device=bc-2,gateway=bs-9,site=h1 battery_pct=9,rssi_dbm=-90 ${NOW - 5_000}`,
    ]);
  });

  it('keeps the fault code as a tag, not a field', () => {
    const message = decode('or/h1/access_gate/ag-1/fault', { code: 'JAM', state: 'cleared' });
    expect(toLines(message)).toEqual([
      `fault,code=JAM,device=ag-1,kind=access_gate,site=h1 active=false,state="cleared" ${NOW}`,
    ]);
  });
});

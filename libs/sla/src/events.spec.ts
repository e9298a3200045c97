import { EVENT_TYPES, canonicalJson, sortEvents } from './events';
import type { SlaEvent } from './events';
import { T0 } from './spec-kit';

describe('canonicalJson', () => {
  it.each([
    [
      { b: 1, a: { d: [2, { y: 1, x: 0 }], c: null } },
      '{"a":{"c":null,"d":[2,{"x":0,"y":1}]},"b":1}',
    ],
    [{ a: 1, skip: undefined }, '{"a":1}'],
    ['text', '"text"'],
  ])('%j -> %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });
});

describe('sortEvents', () => {
  const arrived: SlaEvent = { type: 'visit_arrived', at: T0, visitId: 'v1' };
  const dispatched: SlaEvent = { type: 'visit_dispatched', at: T0, visitId: 'v1' };
  const upgrade: SlaEvent = { type: 'severity_changed', at: T0, to: 'red' };
  const earlier: SlaEvent = { type: 'ticket_cancelled', at: T0 - 1 };

  it.each([
    ['by time first', [arrived, earlier], [earlier, arrived]],
    ['then by type rank', [arrived, dispatched, upgrade], [upgrade, dispatched, arrived]],
    [
      'then by canonical JSON',
      [
        { type: 'visit_arrived', at: T0, visitId: 'v2' },
        { type: 'visit_arrived', at: T0, visitId: 'v1' },
      ],
      [
        { type: 'visit_arrived', at: T0, visitId: 'v1' },
        { type: 'visit_arrived', at: T0, visitId: 'v2' },
      ],
    ],
  ] as [string, SlaEvent[], SlaEvent[]][])('orders %s', (_name, input, expected) => {
    expect(sortEvents(input)).toEqual(expected);
    expect(sortEvents([...input].reverse())).toEqual(expected);
  });

  it('ranks every event type exactly once', () => {
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    expect(EVENT_TYPES).toHaveLength(22);
  });

  it('does not modify its input', () => {
    const input = [arrived, dispatched];
    sortEvents(input);
    expect(input).toEqual([arrived, dispatched]);
  });
});

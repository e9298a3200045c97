import fc from 'fast-check';
import {
  MAX_WINDOW_MS,
  activeWindowFor,
  isActiveAt,
  judgeNewWindow,
  refuseEnd,
  windowEnd,
  windowStatus,
} from './maintenance.rules';
import type { WindowSpan } from './maintenance.rules';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

function win(
  id: string,
  on: { siteId: string } | { deviceId: string },
  from: number,
  to: number,
  endedAt: number | null = null,
): WindowSpan {
  return {
    id,
    siteId: 'siteId' in on ? on.siteId : null,
    deviceId: 'deviceId' in on ? on.deviceId : null,
    startsAt: new Date(T0 + from),
    endsAt: new Date(T0 + to),
    endedAt: endedAt === null ? null : new Date(T0 + endedAt),
  };
}

describe('windowStatus and isActiveAt', () => {
  const w = win('w', { deviceId: 'gd-1' }, 0, 2 * HOUR);
  it.each<[string, WindowSpan, number, string]>([
    ['before the start', w, -1, 'scheduled'],
    ['at the start (inclusive)', w, 0, 'active'],
    ['inside', w, HOUR, 'active'],
    ['at the planned end (exclusive)', w, 2 * HOUR, 'ended'],
    [
      'ended early: over from the early end',
      win('w', { siteId: 's' }, 0, 2 * HOUR, HOUR),
      HOUR,
      'ended',
    ],
    [
      'ended early: active before it',
      win('w', { siteId: 's' }, 0, 2 * HOUR, HOUR),
      HOUR - 1,
      'active',
    ],
    [
      'ended before its start: never active',
      win('w', { siteId: 's' }, HOUR, 2 * HOUR, 0),
      90 * MIN,
      'ended',
    ],
    [
      'ended before its start: ended even before',
      win('w', { siteId: 's' }, HOUR, 2 * HOUR, 0),
      30 * MIN,
      'ended',
    ],
  ])('%s', (_label, window, offset, status) => {
    expect(windowStatus(window, T0 + offset)).toBe(status);
    expect(isActiveAt(window, new Date(T0 + offset))).toBe(status === 'active');
  });

  it('windowEnd is the planned end unless ended earlier', () => {
    expect(windowEnd(w)).toBe(T0 + 2 * HOUR);
    expect(windowEnd(win('w', { siteId: 's' }, 0, 2 * HOUR, HOUR))).toBe(T0 + HOUR);
  });
});

describe('activeWindowFor', () => {
  const device = win('dev', { deviceId: 'gd-1' }, 0, 2 * HOUR);
  const site = win('site', { siteId: 'st-anne' }, HOUR, 3 * HOUR);
  const otherDevice = win('other-dev', { deviceId: 'gd-2' }, 0, 5 * HOUR);
  const otherSite = win('other-site', { siteId: 'st-paul' }, 0, 5 * HOUR);
  const ended = win('ended', { deviceId: 'gd-1' }, 0, 5 * HOUR, 30 * MIN);
  const all = [device, site, otherDevice, otherSite, ended];

  it.each<[string, readonly WindowSpan[], string | null, number, string | undefined]>([
    ['none at all', [], 'gd-1', 0, undefined],
    ["the device's own window", all, 'gd-1', 30 * MIN, 'dev'],
    ['an ended window no longer covers', [ended], 'gd-1', 30 * MIN, undefined],
    ['an ended window covered before its end', [ended], 'gd-1', 29 * MIN, 'ended'],
    ["the site's window covers its devices", all, 'gd-9', 90 * MIN, 'site'],
    ['both cover: the one lasting longer wins', all, 'gd-1', 90 * MIN, 'site'],
    ["another device's window does not cover", [otherDevice], 'gd-1', HOUR, undefined],
    ["another site's window does not cover", [otherSite], 'gd-1', HOUR, undefined],
    ['site-level subject: device windows do not count', all, null, 30 * MIN, undefined],
    ['site-level subject: the site window counts', all, null, 90 * MIN, 'site'],
    ['not before the start', [site], 'gd-1', HOUR - 1, undefined],
    ['at the start', [site], 'gd-1', HOUR, 'site'],
    ['not at the end', [site], 'gd-1', 3 * HOUR, undefined],
  ])('%s', (_label, windows, deviceId, offset, expected) => {
    expect(activeWindowFor(windows, deviceId, 'st-anne', T0 + offset)?.id).toBe(expected);
  });

  it.each<[string, WindowSpan, WindowSpan, string]>([
    [
      "same end: the device's own window",
      win('a-site', { siteId: 'st-anne' }, 0, HOUR),
      win('z-dev', { deviceId: 'gd-1' }, 0, HOUR),
      'z-dev',
    ],
    [
      'same end, same level: the earlier start',
      win('a', { deviceId: 'gd-1' }, 10 * MIN, HOUR),
      win('b', { deviceId: 'gd-1' }, 0, HOUR),
      'b',
    ],
    [
      'all equal: the smaller id',
      win('b', { deviceId: 'gd-1' }, 0, HOUR),
      win('a', { deviceId: 'gd-1' }, 0, HOUR),
      'a',
    ],
  ])('tie: %s', (_label, x, y, expected) => {
    expect(activeWindowFor([x, y], 'gd-1', 'st-anne', T0 + 30 * MIN)?.id).toBe(expected);
    expect(activeWindowFor([y, x], 'gd-1', 'st-anne', T0 + 30 * MIN)?.id).toBe(expected);
  });

  it('the answer is active, covers the subject, and does not depend on the order', () => {
    const arbWindow = fc
      .record({
        id: fc.string({ minLength: 1, maxLength: 3 }),
        onSite: fc.boolean(),
        subject: fc.constantFrom('a', 'b'),
        from: fc.integer({ min: 0, max: 10 }),
        length: fc.integer({ min: 1, max: 10 }),
        endedAt: fc.option(fc.integer({ min: 0, max: 20 })),
      })
      .map(({ id, onSite, subject, from, length, endedAt }) =>
        win(
          id,
          onSite ? { siteId: `st-${subject}` } : { deviceId: `gd-${subject}` },
          from * MIN,
          (from + length) * MIN,
          endedAt === null ? null : endedAt * MIN,
        ),
      );
    fc.assert(
      fc.property(
        fc.uniqueArray(arbWindow, { selector: (w) => w.id, maxLength: 8 }),
        fc.integer({ min: 0, max: 20 }),
        (windows, minute) => {
          const at = T0 + minute * MIN;
          const found = activeWindowFor(windows, 'gd-a', 'st-a', at);
          const covering = windows.filter(
            (w) => (w.deviceId === 'gd-a' || w.siteId === 'st-a') && isActiveAt(w, at),
          );
          expect(found === undefined).toBe(covering.length === 0);
          if (found !== undefined) {
            expect(covering).toContain(found);
            expect(windowEnd(found)).toBe(Math.max(...covering.map(windowEnd)));
          }
          expect(activeWindowFor([...windows].reverse(), 'gd-a', 'st-a', at)).toBe(found);
        },
      ),
    );
  });
});

describe('judgeNewWindow', () => {
  const now = T0;
  const ok = { deviceId: 'gd-1', startsAt: T0, endsAt: T0 + HOUR };
  it.each<[string, Parameters<typeof judgeNewWindow>[0], string[]]>([
    ['a device window', ok, []],
    [
      'a site window starting later',
      { siteId: 'st-anne', startsAt: T0 + HOUR, endsAt: T0 + 2 * HOUR },
      [],
    ],
    ['already started (entered late)', { ...ok, startsAt: T0 - HOUR }, []],
    ['exactly 31 days', { ...ok, endsAt: T0 + MAX_WINDOW_MS }, []],
    [
      'neither site nor device',
      { startsAt: T0, endsAt: T0 + HOUR },
      ['siteId, deviceId: exactly one of them'],
    ],
    [
      'both site and device',
      { ...ok, siteId: 'st-anne' },
      ['siteId, deviceId: exactly one of them'],
    ],
    [
      'ends at its start',
      { ...ok, endsAt: T0 },
      ['endsAt: must be after startsAt', 'endsAt: already past'],
    ],
    [
      'ends before its start',
      { ...ok, startsAt: T0 + 2 * HOUR },
      ['endsAt: must be after startsAt'],
    ],
    [
      'longer than 31 days',
      { ...ok, endsAt: T0 + MAX_WINDOW_MS + 1 },
      ['endsAt: a window lasts at most 31 days'],
    ],
    [
      'wholly past',
      { ...ok, startsAt: T0 - 2 * HOUR, endsAt: T0 - HOUR },
      ['endsAt: already past'],
    ],
    ['ends now', { ...ok, startsAt: T0 - HOUR, endsAt: T0 }, ['endsAt: already past']],
  ])('%s', (_label, input, problems) => {
    expect(judgeNewWindow(input, now)).toEqual(problems);
  });
});

describe('refuseEnd', () => {
  it.each<[string, WindowSpan, number, string | undefined]>([
    ['active', win('w', { siteId: 's' }, 0, HOUR), 30 * MIN, undefined],
    ['not started yet (cancelled)', win('w', { siteId: 's' }, HOUR, 2 * HOUR), 0, undefined],
    [
      'already ended',
      win('w', { siteId: 's' }, 0, HOUR, 10 * MIN),
      30 * MIN,
      'the window was already ended at 2026-03-02T08:10:00.000Z',
    ],
    [
      'over as planned',
      win('w', { siteId: 's' }, 0, HOUR),
      HOUR,
      'the window is over since 2026-03-02T09:00:00.000Z',
    ],
  ])('%s', (_label, window, offset, refusal) => {
    expect(refuseEnd(window, T0 + offset)).toBe(refusal);
  });
});

import fc from 'fast-check';
import { CALENDAR_24X7, businessHoursCalendar } from './calendar';
import { HOUR, MIN } from './spec-kit';

// Expected instants are written as UTC wall times with the zone's offset applied by hand
// (Asia/Shanghai is +8 all year; Europe/Berlin is +1, +2 from 2026-03-29 to 2026-10-25).
const shanghai = (d: number, h: number, mi = 0, month = 3): number =>
  Date.UTC(2026, month - 1, d, h - 8, mi);
const utc = (month: number, d: number, h: number, mi = 0): number =>
  Date.UTC(2026, month - 1, d, h, mi);

const SHANGHAI = businessHoursCalendar({
  timeZone: 'Asia/Shanghai',
  days: [1, 2, 3, 4, 5],
  open: '08:00',
  close: '18:00',
});
const BERLIN = businessHoursCalendar({
  timeZone: 'Europe/Berlin',
  days: [1, 2, 3, 4, 5],
  open: '08:00',
  close: '18:00',
});
const BERLIN_ALL_DAY = businessHoursCalendar({
  timeZone: 'Europe/Berlin',
  days: [0, 1, 2, 3, 4, 5, 6],
  open: '00:00',
  close: '24:00',
});

describe('CALENDAR_24X7', () => {
  it.each([
    [0, 15 * MIN],
    [utc(3, 2, 9), 48 * HOUR],
    [utc(3, 28, 23), 4 * HOUR], // across Europe's DST night: 7x24 does not care
  ])('adds %p + %p ms of plain time', (start, ms) => {
    expect(CALENDAR_24X7.addWorkingTime(start, ms)).toBe(start + ms);
    expect(CALENDAR_24X7.workingTimeBetween(start, start + ms)).toBe(ms);
  });

  it('rejects negative working time', () => {
    expect(() => CALENDAR_24X7.addWorkingTime(0, -1)).toThrow(RangeError);
  });
});

describe('businessHoursCalendar Mon-Fri 08:00-18:00 Asia/Shanghai', () => {
  it.each([
    ['inside the day', shanghai(2, 9), 2 * HOUR, shanghai(2, 11)],
    ['over the evening', shanghai(2, 17), 2 * HOUR, shanghai(3, 9)],
    ['over the weekend', shanghai(6, 17, 30), 1 * HOUR, shanghai(9, 8, 30)],
    ['from a Saturday', shanghai(7, 10), 15 * MIN, shanghai(9, 8, 15)],
    ['from before opening', shanghai(2, 7), 30 * MIN, shanghai(2, 8, 30)],
    ['exactly to closing', shanghai(2, 16), 2 * HOUR, shanghai(2, 18)],
    ['24 working hours from Wednesday noon', shanghai(4, 12), 24 * HOUR, shanghai(6, 16)],
    ['zero from outside hours stays put', shanghai(7, 10), 0, shanghai(7, 10)],
  ])('addWorkingTime %s', (_name, start, ms, expected) => {
    expect(SHANGHAI.addWorkingTime(start, ms)).toBe(expected);
    expect(SHANGHAI.workingTimeBetween(start, expected)).toBe(ms);
  });

  it.each([
    ['a weekend', shanghai(7, 0), shanghai(9, 0), 0],
    ['a night', shanghai(2, 18), shanghai(3, 8), 0],
    ['a full week', shanghai(2, 0), shanghai(9, 0), 50 * HOUR],
    ['reversed bounds', shanghai(2, 12), shanghai(2, 10), -2 * HOUR],
  ])('workingTimeBetween over %s', (_name, a, b, expected) => {
    expect(SHANGHAI.workingTimeBetween(a, b)).toBe(expected);
  });

  it('skips holidays', () => {
    const withHoliday = businessHoursCalendar({
      timeZone: 'Asia/Shanghai',
      days: [1, 2, 3, 4, 5],
      open: '08:00',
      close: '18:00',
      holidays: ['2026-03-03'],
    });
    expect(withHoliday.addWorkingTime(shanghai(2, 17), 2 * HOUR)).toBe(shanghai(4, 9));
  });
});

describe('businessHoursCalendar Europe/Berlin across DST', () => {
  it.each([
    ['into summer time', utc(3, 27, 16), 2 * HOUR, utc(3, 30, 7)], // Fri 17:00 CET -> Mon 09:00 CEST
    ['into winter time', utc(10, 23, 15), 2 * HOUR, utc(10, 26, 8)], // Fri 17:00 CEST -> Mon 09:00 CET
  ])('addWorkingTime %s keeps the wall clock', (_name, start, ms, expected) => {
    expect(BERLIN.addWorkingTime(start, ms)).toBe(expected);
  });

  it.each([
    ['the 23-hour spring Sunday', utc(3, 28, 23), utc(3, 29, 22), 23 * HOUR],
    ['the 25-hour autumn Sunday', utc(10, 24, 22), utc(10, 25, 23), 25 * HOUR],
    ['a weekend into summer time', utc(3, 27, 23), utc(3, 29, 22), 47 * HOUR],
  ])('a 00:00-24:00 calendar counts %s as it is', (_name, a, b, expected) => {
    expect(BERLIN_ALL_DAY.workingTimeBetween(a, b)).toBe(expected);
  });

  it('counts Friday 08:00 CET to Monday 18:00 CEST as two working days', () => {
    expect(BERLIN.workingTimeBetween(utc(3, 27, 7), utc(3, 30, 16))).toBe(20 * HOUR);
  });

  it('moves a window opening in the spring-forward gap to after the jump', () => {
    const night = businessHoursCalendar({
      timeZone: 'Europe/Berlin',
      days: [0],
      open: '02:30',
      close: '04:00',
    });
    // 2026-03-29: 02:30 does not exist, the window is 03:30-04:00 CEST; a week before, 1.5 h.
    expect(night.workingTimeBetween(utc(3, 28, 12), utc(3, 29, 12))).toBe(30 * MIN);
    expect(night.workingTimeBetween(utc(3, 21, 12), utc(3, 22, 12))).toBe(90 * MIN);
  });

  it('adding then measuring gives back the working time (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: utc(1, 1, 0), max: utc(12, 31, 0) }),
        fc.integer({ min: 0, max: 100 * HOUR }),
        fc.integer({ min: 0, max: 10 * HOUR }),
        (start, ms, more) => {
          const end = BERLIN.addWorkingTime(start, ms);
          expect(BERLIN.workingTimeBetween(start, end)).toBe(ms);
          expect(end).toBeGreaterThanOrEqual(start);
          expect(BERLIN.addWorkingTime(start, ms + more)).toBeGreaterThanOrEqual(end);
        },
      ),
    );
  });
});

describe('businessHoursCalendar configuration errors', () => {
  it.each([
    ['unknown zone', { timeZone: 'Mars/Olympus', days: [1], open: '08:00', close: '18:00' }],
    ['open after close', { timeZone: 'UTC', days: [1], open: '18:00', close: '08:00' }],
    ['no days', { timeZone: 'UTC', days: [], open: '08:00', close: '18:00' }],
    ['weekday 7', { timeZone: 'UTC', days: [7], open: '08:00', close: '18:00' }],
    ['bad wall time', { timeZone: 'UTC', days: [1], open: '8am', close: '18:00' }],
  ])('throws RangeError for %s', (_name, options) => {
    expect(() => businessHoursCalendar(options)).toThrow(RangeError);
  });
});

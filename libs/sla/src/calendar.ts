import {
  civilDate,
  instantAt,
  isoDate,
  localDayNumber,
  localDateTime,
  weekdayOf,
} from './time-zone';

/**
 * Working time for SLA clocks. Every target in the policy is an amount of working time; the
 * calendar turns it into an instant. Instants are epoch milliseconds.
 */
export interface Calendar {
  readonly id: string;
  /** The instant at which `ms` of working time has passed since `start` (`ms` >= 0). */
  addWorkingTime(start: number, ms: number): number;
  /** Working time in [a, b]; negative when b < a. */
  workingTimeBetween(a: number, b: number): number;
}

function assertDuration(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`working time must be a finite number >= 0, got ${ms}`);
  }
}

/** contract.md "How the platform reads the contract": every clock runs 7x24. */
export const CALENDAR_24X7: Calendar = {
  id: '24x7',
  addWorkingTime(start, ms) {
    assertDuration(ms);
    return start + ms;
  },
  workingTimeBetween(a, b) {
    return b - a;
  },
};

export interface BusinessHoursOptions {
  /** IANA zone whose wall clock defines the hours, e.g. `Asia/Shanghai`, `Europe/Berlin`. */
  readonly timeZone: string;
  /** Working weekdays, 0 = Sunday … 6 = Saturday. */
  readonly days: readonly number[];
  /** Opening wall time `HH:MM`. */
  readonly open: string;
  /** Closing wall time `HH:MM`; `24:00` means midnight at the end of the day. */
  readonly close: string;
  /** Local dates `YYYY-MM-DD` without working time. */
  readonly holidays?: readonly string[];
  readonly id?: string;
}

// A calendar with no working day in ten years is a configuration error, not an SLA.
const MAX_DAYS_SCANNED = 3660;

function parseWallTime(text: string): { hour: number; minute: number } {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 24 || minute > 59 || (hour === 24 && minute !== 0)) {
    throw new RangeError(`wall time must be HH:MM (00:00-24:00), got '${text}'`);
  }
  return { hour, minute };
}

/**
 * Working hours on given weekdays in an IANA time zone. Each day's window is computed from the
 * zone's offset on that day, so a DST change moves the window with the wall clock.
 */
export function businessHoursCalendar(options: BusinessHoursOptions): Calendar {
  const { timeZone } = options;
  localDateTime(0, timeZone); // validates the zone now rather than on first use
  const open = parseWallTime(options.open);
  const close = parseWallTime(options.close);
  if (open.hour * 60 + open.minute >= close.hour * 60 + close.minute) {
    throw new RangeError(`open (${options.open}) must be before close (${options.close})`);
  }
  const days = new Set(options.days);
  if (days.size === 0 || [...days].some((d) => !Number.isInteger(d) || d < 0 || d > 6)) {
    throw new RangeError('days must list weekdays 0 (Sunday) to 6 (Saturday)');
  }
  const holidays = new Set(options.holidays ?? []);

  const windowOn = (day: number): readonly [number, number] | null => {
    if (!days.has(weekdayOf(day)) || holidays.has(isoDate(day))) return null;
    const { year, month, day: dom } = civilDate(day);
    return [
      instantAt(timeZone, year, month, dom, open.hour, open.minute),
      instantAt(timeZone, year, month, dom, close.hour, close.minute),
    ];
  };

  const between = (a: number, b: number): number => {
    if (b < a) return -between(b, a);
    let total = 0;
    const last = localDayNumber(b, timeZone);
    for (let day = localDayNumber(a, timeZone); day <= last; day++) {
      const window = windowOn(day);
      if (window === null) continue;
      const from = Math.max(a, window[0]);
      const to = Math.min(b, window[1]);
      if (to > from) total += to - from;
    }
    return total;
  };

  return {
    id:
      options.id ??
      `business:${timeZone}:${[...days].sort().join('')}:${options.open}-${options.close}`,
    addWorkingTime(start, ms) {
      assertDuration(ms);
      if (ms === 0) return start;
      let remaining = ms;
      const first = localDayNumber(start, timeZone);
      for (let day = first; day < first + MAX_DAYS_SCANNED; day++) {
        const window = windowOn(day);
        if (window === null) continue;
        const from = Math.max(start, window[0]);
        if (from >= window[1]) continue;
        const available = window[1] - from;
        if (remaining <= available) return from + remaining;
        remaining -= available;
      }
      throw new RangeError(`no working time within ${MAX_DAYS_SCANNED} days of ${start}`);
    },
    workingTimeBetween: between,
  };
}

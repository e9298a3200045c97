// Wall-clock arithmetic in an IANA time zone, from Intl.DateTimeFormat offsets only: no Date
// objects, no host time zone (the suite runs under TZ=UTC and TZ=Asia/Shanghai).

export const MS_PER_DAY = 86_400_000;

/** A civil date-time as read on a wall clock in some time zone (month 1-12). */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    // Throws RangeError for an unknown zone: callers validate zones when they build a calendar.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock in `timeZone` at `instant` (epoch ms). */
export function localDateTime(instant: number, timeZone: string): LocalDateTime {
  const parts = formatterFor(timeZone).formatToParts(instant);
  const read = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((part) => part.type === type)?.value);
  return {
    year: read('year'),
    month: read('month'),
    day: read('day'),
    hour: read('hour'),
    minute: read('minute'),
    second: read('second'),
  };
}

/** UTC offset of `timeZone` at `instant`, in ms (Asia/Shanghai: +8 h). */
export function offsetAt(instant: number, timeZone: string): number {
  const local = localDateTime(instant, timeZone);
  const wallAsUtc = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
  );
  const wholeSeconds = instant - (((instant % 1000) + 1000) % 1000);
  return wallAsUtc - wholeSeconds;
}

/**
 * The instant at which the wall clock in `timeZone` shows the given civil time. A wall time
 * skipped by a DST jump maps to the instant after the jump (02:30 on a spring-forward night
 * becomes 03:30 summer time); a repeated wall time maps to its first occurrence.
 */
export function instantAt(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Offsets a day either side bracket any real transition (none happen twice within 48 h).
  const before = offsetAt(wall - MS_PER_DAY, timeZone);
  const after = offsetAt(wall + MS_PER_DAY, timeZone);
  const candidates = [wall - before, wall - after].filter(
    (instant) => instant + offsetAt(instant, timeZone) === wall,
  );
  if (candidates.length === 0) return wall - before;
  return Math.min(...candidates);
}

/** Days since 1970-01-01 of a civil date. */
export function dayNumber(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

/** Civil date of a day number (H. Hinnant's civil_from_days; no Date object needed). */
export function civilDate(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** 0 = Sunday … 6 = Saturday, for a day number (1970-01-01 was a Thursday). */
export function weekdayOf(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** Local civil day number of `instant` in `timeZone`. */
export function localDayNumber(instant: number, timeZone: string): number {
  const local = localDateTime(instant, timeZone);
  return dayNumber(local.year, local.month, local.day);
}

/** `YYYY-MM` of `instant` as seen in `timeZone` (report month keys). */
export function monthKey(instant: number, timeZone: string): string {
  const local = localDateTime(instant, timeZone);
  return `${String(local.year).padStart(4, '0')}-${String(local.month).padStart(2, '0')}`;
}

/** `YYYY-MM-DD` of a day number. */
export function isoDate(days: number): string {
  const { year, month, day } = civilDate(days);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

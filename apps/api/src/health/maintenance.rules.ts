/**
 * Maintenance windows (issue #6): while a window covers a device (its own window or its site's),
 * the health rules open no ticket for it and record the suppression instead. Pure: time is an
 * argument.
 */

/** What the rules need of a window (the entity has more). */
export interface WindowSpan {
  readonly id: string;
  readonly siteId: string | null;
  readonly deviceId: string | null;
  readonly startsAt: Date;
  readonly endsAt: Date;
  /** Set when someone ended the window early; `endsAt` keeps the plan. */
  readonly endedAt: Date | null;
}

export const WINDOW_STATUSES = ['scheduled', 'active', 'ended'] as const;
export type WindowStatus = (typeof WINDOW_STATUSES)[number];

const DAY = 24 * 60 * 60 * 1000;
/**
 * Our reading (no contract number): a window forgotten open would hide a site's faults for good,
 * so one window lasts at most 31 days; longer works take several windows, each decided anew.
 */
export const MAX_WINDOW_MS = 31 * DAY;
export const MAX_REASON_LENGTH = 500;

const ms = (at: Date | number): number => (typeof at === 'number' ? at : at.getTime());

/** When the window stops covering: as planned, or when it was ended, whichever is first. */
export function windowEnd(w: WindowSpan): number {
  const planned = w.endsAt.getTime();
  return w.endedAt === null ? planned : Math.min(planned, w.endedAt.getTime());
}

/** Covers from its start (inclusive) to its end (exclusive). */
export function isActiveAt(w: WindowSpan, at: Date | number): boolean {
  const t = ms(at);
  return w.startsAt.getTime() <= t && t < windowEnd(w);
}

export function windowStatus(w: WindowSpan, at: Date | number): WindowStatus {
  const t = ms(at);
  if (t >= windowEnd(w)) return 'ended';
  return t < w.startsAt.getTime() ? 'scheduled' : 'active';
}

/**
 * The window that covers a device at an instant: one on the device itself or on its site
 * (`deviceId` null asks for a site-level subject, e.g. a site ticket: site windows only). When
 * several cover it, the one that lasts longest wins (its end is when tickets resume); on a tie
 * the device's own window, then the earlier start, then the smaller id, so the answer does not
 * depend on the order of `windows`.
 */
export function activeWindowFor<W extends WindowSpan>(
  windows: readonly W[],
  deviceId: string | null,
  siteId: string,
  at: Date | number,
): W | undefined {
  const t = ms(at);
  let best: W | undefined;
  for (const w of windows) {
    const covers = (deviceId !== null && w.deviceId === deviceId) || w.siteId === siteId;
    if (covers && isActiveAt(w, t) && (best === undefined || before(w, best))) best = w;
  }
  return best;
}

function before(a: WindowSpan, b: WindowSpan): boolean {
  const byEnd = windowEnd(b) - windowEnd(a);
  if (byEnd !== 0) return byEnd < 0;
  const aOwn = a.deviceId !== null;
  if (aOwn !== (b.deviceId !== null)) return aOwn;
  const byStart = a.startsAt.getTime() - b.startsAt.getTime();
  if (byStart !== 0) return byStart < 0;
  return a.id < b.id;
}

export interface NewWindow {
  readonly siteId?: string | undefined;
  readonly deviceId?: string | undefined;
  readonly startsAt: number;
  readonly endsAt: number;
}

/** Every problem with a new window, as `field: message` (empty when it may be created). */
export function judgeNewWindow(input: NewWindow, now: number): string[] {
  const problems: string[] = [];
  if ((input.siteId === undefined) === (input.deviceId === undefined)) {
    problems.push('siteId, deviceId: exactly one of them');
  }
  if (input.endsAt <= input.startsAt) {
    problems.push('endsAt: must be after startsAt');
  } else if (input.endsAt - input.startsAt > MAX_WINDOW_MS) {
    problems.push(`endsAt: a window lasts at most ${MAX_WINDOW_MS / DAY} days`);
  }
  if (input.endsAt <= now) problems.push('endsAt: already past');
  return problems;
}

/**
 * Why a window cannot be ended now, or undefined when it can. A window not started yet may be
 * ended: it is then cancelled and never covers anything.
 */
export function refuseEnd(w: WindowSpan, now: number): string | undefined {
  if (w.endedAt !== null) return `the window was already ended at ${w.endedAt.toISOString()}`;
  if (w.endsAt.getTime() <= now) return `the window is over since ${w.endsAt.toISOString()}`;
  return undefined;
}

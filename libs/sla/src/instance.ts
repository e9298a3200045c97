import type { Calendar } from './calendar';
import type { MilestoneDef, PauseReason } from './policy';
import type { MilestoneState, MilestoneStatus } from './result';
import type { Severity } from './severity';

// The mutable working copy of one milestone instance while the engine replays a log. It never
// leaves the engine: `toStatus` freezes it into a MilestoneStatus.

export interface OpenPause {
  from: number;
  to: number | null;
  reason: PauseReason;
  by: string;
}

export interface Instance {
  readonly def: MilestoneDef;
  readonly defIndex: number;
  readonly scopeId: string | null;
  readonly cycle: number;
  readonly key: string;
  severity: Severity;
  state: MilestoneState;
  startedAt: number | null;
  targetMs: number | null;
  targetBasis: string | null;
  dueAt: number | null;
  originalDueAt: number | null;
  metAt: number | null;
  breachedAt: number | null;
  endedAt: number | null;
  endedBy: string | null;
  pauses: OpenPause[];
}

export function baseKey(def: MilestoneDef, scopeId: string | null): string {
  return scopeId === null ? def.code : `${def.code}:${scopeId}`;
}

export function newInstance(
  def: MilestoneDef,
  defIndex: number,
  scopeId: string | null,
  cycle: number,
  severity: Severity,
): Instance {
  const base = baseKey(def, scopeId);
  return {
    def,
    defIndex,
    scopeId,
    cycle,
    key: cycle === 1 ? base : `${base}#${cycle}`,
    severity,
    state: 'pending',
    startedAt: null,
    targetMs: null,
    targetBasis: null,
    dueAt: null,
    originalDueAt: null,
    metAt: null,
    breachedAt: null,
    endedAt: null,
    endedBy: null,
    pauses: [],
  };
}

/** Still owed something: not started, counting, paused, or breached and not yet met. */
export function isOpen(inst: Instance): boolean {
  return (
    inst.state === 'pending' ||
    inst.state === 'running' ||
    inst.state === 'paused' ||
    (inst.state === 'breached' && inst.metAt === null && inst.endedAt === null)
  );
}

/** Paused working time, open pauses counted up to `until`. */
export function pausedMs(inst: Instance, until: number, calendar: Calendar): number {
  return inst.pauses.reduce(
    (sum, pause) =>
      sum +
      Math.max(0, calendar.workingTimeBetween(pause.from, pause.to ?? Math.max(until, pause.from))),
    0,
  );
}

/** contract (product decisions): pauses never shorten a deadline: due = start + target + paused. */
export function dueWith(inst: Instance, until: number, calendar: Calendar): number | null {
  if (inst.startedAt === null || inst.targetMs === null) return null;
  return calendar.addWorkingTime(inst.startedAt, inst.targetMs + pausedMs(inst, until, calendar));
}

export function start(
  inst: Instance,
  startedAt: number,
  target: { ms: number; basis: string },
  severity: Severity,
  calendar: Calendar,
): void {
  inst.state = 'running';
  inst.startedAt = startedAt;
  inst.targetMs = target.ms;
  inst.targetBasis = target.basis;
  inst.severity = severity;
  inst.originalDueAt = calendar.addWorkingTime(startedAt, target.ms);
  inst.dueAt = dueWith(inst, startedAt, calendar);
}

function closeOpenPause(inst: Instance, at: number): void {
  for (const pause of inst.pauses) if (pause.to === null) pause.to = at;
}

export function pause(inst: Instance, at: number, reason: PauseReason, by: string): void {
  inst.pauses.push({ from: at, to: null, reason, by });
  inst.state = 'paused';
}

export function resume(inst: Instance, at: number, calendar: Calendar): void {
  closeOpenPause(inst, at);
  inst.state = 'running';
  inst.dueAt = dueWith(inst, at, calendar);
}

/** A deadline clock that ran past due unmet is breached at exactly due (never later, never undone). */
export function breachIfPastDue(inst: Instance, at: number): void {
  if (inst.state === 'running' && inst.def.kind === 'deadline' && inst.dueAt !== null) {
    if (inst.dueAt < at) {
      inst.state = 'breached';
      inst.breachedAt = inst.dueAt;
    }
  }
}

/** The stop event arrived at `at` (after breachIfPastDue ran for `at`). */
export function stop(inst: Instance, at: number, by: string, calendar: Calendar): void {
  closeOpenPause(inst, at);
  inst.endedAt = at;
  inst.endedBy = by;
  if (inst.state === 'breached') {
    inst.metAt = at; // recorded, but the breach stands
    return;
  }
  inst.dueAt = dueWith(inst, at, calendar);
  if (inst.def.kind === 'deadline') {
    inst.state = 'met';
    inst.metAt = at;
    return;
  }
  // contract: verification is a minimum duration; shorter is a violation, not a success
  const elapsed = elapsedAt(inst, at, calendar) ?? 0;
  const passed = elapsed >= (inst.targetMs ?? 0);
  inst.state = passed ? 'met' : 'violated';
  inst.metAt = passed ? at : null;
}

/** Ends an open instance as `state`; a breach already recorded stays the state. */
export function end(
  inst: Instance,
  at: number,
  state: 'cancelled' | 'superseded',
  by: string,
  calendar: Calendar,
): void {
  closeOpenPause(inst, at);
  if (inst.startedAt !== null && inst.state !== 'breached')
    inst.dueAt = dueWith(inst, at, calendar);
  inst.endedAt = at;
  inst.endedBy = by;
  if (inst.state !== 'breached') inst.state = state;
}

function elapsedAt(inst: Instance, at: number, calendar: Calendar): number | null {
  if (inst.startedAt === null) return null;
  return calendar.workingTimeBetween(inst.startedAt, at) - pausedMs(inst, at, calendar);
}

/** Freezes the instance as seen at `asOf`. */
export function toStatus(inst: Instance, asOf: number, calendar: Calendar): MilestoneStatus {
  const endAt = inst.metAt ?? inst.endedAt ?? asOf;
  const paused = pausedMs(inst, endAt, calendar);
  const dueAt = inst.state === 'paused' ? dueWith(inst, asOf, calendar) : inst.dueAt;
  const open = isOpen(inst) && inst.state !== 'breached';
  const elapsed = elapsedAt(inst, endAt, calendar);
  let latenessMs: number | null = null;
  if (inst.state === 'breached' && inst.dueAt !== null) {
    latenessMs = calendar.workingTimeBetween(inst.dueAt, endAt);
  } else if (inst.state === 'met' && inst.def.kind === 'deadline') {
    latenessMs = 0;
  }
  const warningsReached: number[] = [];
  let nextWarningAt: number | null = null;
  if (open && inst.def.kind === 'deadline' && inst.startedAt !== null && inst.targetMs !== null) {
    for (const fraction of inst.def.warnings) {
      const point = Math.round(fraction * inst.targetMs);
      if ((elapsed ?? 0) >= point) {
        warningsReached.push(fraction);
      } else if (inst.state === 'running') {
        const at = calendar.addWorkingTime(inst.startedAt, point + paused);
        nextWarningAt = nextWarningAt === null ? at : Math.min(nextWarningAt, at);
      }
    }
  }
  return {
    key: inst.key,
    code: inst.def.code,
    scope: inst.def.scope,
    scopeId: inst.scopeId,
    cycle: inst.cycle,
    kind: inst.def.kind,
    severity: inst.severity,
    state: inst.state,
    startedAt: inst.startedAt,
    targetMs: inst.targetMs,
    targetBasis: inst.targetBasis,
    dueAt,
    originalDueAt: inst.originalDueAt,
    metAt: inst.metAt,
    breachedAt: inst.breachedAt,
    endedAt: inst.endedAt,
    endedBy: inst.endedBy,
    latenessMs,
    elapsedMs: elapsed,
    pausedMs: paused,
    pauses: inst.pauses.map((p) => ({ ...p })),
    warningsReached,
    nextWarningAt,
  };
}

// Policy-driven clock moves: which instance an event starts, stops or cancels, its target, and
// the restart of severity clocks.
import type { SlaEvent } from './events';
import { end, isOpen, pause, start, stop } from './instance';
import type { Instance } from './instance';
import type { MilestoneDef, MilestoneScope, Trigger } from './policy';
import { create, instancesOf, issue } from './replay-state';
import type { Run, Source } from './replay-state';
import { SEVERITIES } from './severity';
import type { Severity } from './severity';

/** Which scope an event opens: its instances are created (pending) when it arrives. */
const OPENS: Partial<Record<Source['type'], MilestoneScope>> = {
  ticket_created: 'ticket',
  visit_dispatched: 'visit',
  part_reserved: 'reservation',
};

function scopeIdOf(scope: MilestoneScope, source: Source): string | null | undefined {
  if (scope === 'ticket') return null;
  const field = scope === 'visit' ? 'visitId' : 'reservationId';
  const value = (source as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

function matches(triggers: readonly Trigger[], source: Source): boolean {
  const fields = source as unknown as Record<string, unknown>;
  return triggers.some(
    (trigger) =>
      trigger.on === source.type &&
      Object.entries(trigger.where ?? {}).every(([field, value]) => fields[field] === value),
  );
}

function resolveTarget(
  run: Run,
  def: MilestoneDef,
  scopeId: string | null,
  startAt: number,
  source: Source,
): { ms: number; basis: string } | null {
  const target = def.target;
  switch (target.type) {
    case 'fixed':
      return { ms: target.ms, basis: 'fixed' };
    case 'by_severity':
      return { ms: target.ms[run.severity], basis: `severity:${run.severity}` };
    case 'by_zone': {
      const visit = def.scope === 'visit' && scopeId !== null ? run.visits.get(scopeId) : undefined;
      const zone = visit?.zone ?? run.facts.zone;
      const agreed = visit?.agreedArrivalAt ?? null;
      if (agreed !== null && target.agreedZones.includes(zone)) {
        if (agreed > startAt) {
          return {
            ms: run.calendar.workingTimeBetween(startAt, agreed),
            basis: `zone:${zone}:agreed`,
          };
        }
        issue(
          run,
          'AGREED_ARRIVAL_INVALID',
          source,
          'agreed arrival not after dispatch; default used',
        );
      }
      return { ms: target.ms[zone], basis: `zone:${zone}` };
    }
    case 'by_tier': {
      const reservation =
        def.scope === 'reservation' && scopeId !== null ? run.reservations.get(scopeId) : undefined;
      if (reservation === undefined) return null;
      return { ms: target.ms[reservation.tier], basis: `tier:${reservation.tier}` };
    }
  }
}

function startInstance(run: Run, inst: Instance, at: number, source: Source): void {
  const target = resolveTarget(run, inst.def, inst.scopeId, at, source);
  if (target === null) {
    issue(run, 'TARGET_UNRESOLVED', source, `no target for ${inst.def.code}`, inst.key);
    return;
  }
  start(inst, at, target, run.severity, run.calendar);
}

/** Apply the policy's start, stop and cancel triggers for one event. */
export function applyTriggers(run: Run, source: Source): void {
  const opened = OPENS[source.type];
  if (opened !== undefined) {
    for (const def of run.policy.milestones) {
      const scopeId = scopeIdOf(def.scope, source);
      if (def.scope === opened && scopeId !== undefined) create(run, def, scopeId);
    }
  }
  for (const def of run.policy.milestones) {
    const scopeId = scopeIdOf(def.scope, source);
    if (scopeId === undefined) continue;
    if (matches(def.cancelOn, source)) {
      for (const inst of instancesOf(run, def, scopeId)) {
        if (isOpen(inst)) end(inst, source.at, 'cancelled', source.type, run.calendar);
      }
    }
    if (matches(def.stopsOn, source)) {
      const latest = instancesOf(run, def, scopeId).at(-1);
      if (latest?.state === 'pending') {
        issue(run, 'STOP_BEFORE_START', source, `${latest.key} has not started`, latest.key);
      } else if (latest !== undefined && isOpen(latest)) {
        stop(latest, source.at, source.type, run.calendar);
      }
    }
    if (matches(def.startsOn, source)) {
      const latest = instancesOf(run, def, scopeId).at(-1);
      // An open clock keeps its first start: a second start never buys time.
      if (latest !== undefined && isOpen(latest) && latest.state !== 'pending') continue;
      const inst = latest?.state === 'pending' ? latest : create(run, def, scopeId);
      startInstance(run, inst, source.at, source);
    }
  }
}

const rankOf = (severity: Severity): number => SEVERITIES.indexOf(severity);

/**
 * contract (product decisions): after an upgrade the red clocks count from the upgrade and the
 * yellow ones are kept as superseded. A downgrade (the contract is silent) keeps the original
 * start with the lower level's target, so lowering a level never buys more time than that level
 * had from the start. A breach already recorded stays a breach.
 */
export function changeSeverity(
  run: Run,
  event: Extract<SlaEvent, { type: 'severity_changed' }>,
): void {
  if (event.to === run.severity) {
    issue(run, 'SEVERITY_UNCHANGED', event, `severity is already ${event.to}`);
    return;
  }
  const upgrade = rankOf(event.to) < rankOf(run.severity);
  run.severity = event.to;
  for (const inst of [...run.instances]) {
    if (inst.def.target.type !== 'by_severity' || !isOpen(inst)) continue;
    if (inst.state === 'pending') {
      inst.severity = event.to;
      continue;
    }
    const openPause = inst.pauses.find((p) => p.to === null);
    const originalStart = inst.startedAt ?? event.at;
    end(inst, event.at, 'superseded', event.type, run.calendar);
    const next = create(run, inst.def, inst.scopeId);
    // a downgraded clock keeps its start, so it keeps the pauses it earned
    if (!upgrade) next.pauses.push(...inst.pauses.map((p) => ({ ...p })));
    startInstance(run, next, upgrade ? event.at : originalStart, event);
    if (openPause && next.state === 'running') {
      pause(next, event.at, openPause.reason, openPause.by);
    }
  }
}

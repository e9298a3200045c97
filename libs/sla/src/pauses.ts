// contract (product decisions): a clock may pause only for a reason its milestone allows, each
// pause with who, why and when.
import type { SlaEvent } from './events';
import { pause, resume } from './instance';
import { issue } from './replay-state';
import type { Run } from './replay-state';

export function pauseClocks(run: Run, event: Extract<SlaEvent, { type: 'clock_paused' }>): void {
  const def =
    event.milestone === undefined
      ? undefined
      : run.policy.milestones.find((d) => d.code === event.milestone);
  if (event.milestone !== undefined && def === undefined) {
    issue(run, 'UNKNOWN_MILESTONE', event, `no milestone ${event.milestone} in the policy`);
    return;
  }
  // contract (product decisions): a clock may pause only for a reason the milestone allows
  if (def !== undefined && !def.pauseReasons.includes(event.reason)) {
    issue(run, 'PAUSE_REASON_NOT_ALLOWED', event, `${def.code} cannot pause for ${event.reason}`);
    return;
  }
  const targeted = run.instances.filter(
    (inst) =>
      (def === undefined || inst.def === def) &&
      (event.scopeId === undefined || inst.scopeId === event.scopeId),
  );
  const running = targeted.filter((inst) => inst.state === 'running');
  const allowed = running.filter((inst) => inst.def.pauseReasons.includes(event.reason));
  for (const inst of allowed) pause(inst, event.at, event.reason, event.by);
  if (allowed.length > 0) return;
  if (running.length > 0) {
    issue(run, 'PAUSE_REASON_NOT_ALLOWED', event, `no running clock may pause for ${event.reason}`);
  } else if (targeted.some((inst) => inst.state === 'paused')) {
    issue(run, 'ALREADY_PAUSED', event, 'the clock is already paused');
  } else {
    issue(run, 'NOTHING_TO_PAUSE', event, 'no running clock matches');
  }
}

export function resumeClocks(run: Run, event: Extract<SlaEvent, { type: 'clock_resumed' }>): void {
  const paused = run.instances.filter(
    (inst) =>
      inst.state === 'paused' &&
      (event.milestone === undefined || inst.def.code === event.milestone) &&
      (event.scopeId === undefined || inst.scopeId === event.scopeId),
  );
  for (const inst of paused) resume(inst, event.at, run.calendar);
  if (paused.length === 0) issue(run, 'NOTHING_TO_RESUME', event, 'no paused clock matches');
}

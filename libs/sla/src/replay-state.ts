// The mutable state of one replay of a ticket's log, shared by the engine's parts. Never leaves
// computeTicketSla.
import type { Calendar } from './calendar';
import type { RestoreMethod, SlaEvent } from './events';
import { baseKey, newInstance } from './instance';
import type { Instance } from './instance';
import type { MilestoneDef, SlaPolicy } from './policy';
import type { ReservationRecord, SlaIssue, SlaIssueCode, TicketFacts, VisitRecord } from './result';
import type { Severity } from './severity';

export type Source = SlaEvent | { readonly type: 'ticket_created'; readonly at: number };

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface Run {
  readonly policy: SlaPolicy;
  readonly facts: TicketFacts;
  readonly calendar: Calendar;
  severity: Severity;
  readonly instances: Instance[];
  readonly byBase: Map<string, Instance[]>;
  readonly visits: Map<string, Mutable<VisitRecord>>;
  readonly reservations: Map<string, Mutable<ReservationRecord>>;
  readonly issues: SlaIssue[];
  acknowledgedAt: number | null;
  respondedAt: number | null;
  restoredAt: number | null;
  restoredHow: RestoreMethod | null;
  cancelledAt: number | null;
  closedAt: number | null;
}

export function issue(
  run: Run,
  code: SlaIssueCode,
  source: { type: string; at: number },
  message: string,
  milestoneKey?: string,
): void {
  const at = Number.isFinite(source.at) ? source.at : null;
  run.issues.push({
    code,
    at,
    eventType: String(source.type),
    message,
    ...(milestoneKey ? { milestoneKey } : {}),
  });
}

export function instancesOf(run: Run, def: MilestoneDef, scopeId: string | null): Instance[] {
  return run.byBase.get(baseKey(def, scopeId)) ?? [];
}

export function create(run: Run, def: MilestoneDef, scopeId: string | null): Instance {
  const list = instancesOf(run, def, scopeId);
  const inst = newInstance(
    def,
    run.policy.milestones.indexOf(def),
    scopeId,
    list.length + 1,
    run.severity,
  );
  run.byBase.set(baseKey(def, scopeId), [...list, inst]);
  run.instances.push(inst);
  return inst;
}

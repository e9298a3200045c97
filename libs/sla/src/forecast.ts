import { CALENDAR_24X7 } from './calendar';
import type { Calendar } from './calendar';
import type { MilestoneCode, SlaPolicy } from './policy';
import type { MilestoneStatus, TicketSlaResult } from './result';

export interface ForecastOptions {
  /** Defaults to the result's `asOf`. */
  readonly now?: number;
  /** ETA per reservationId, overriding the ETAs in the log (what-if planning). */
  readonly etas?: Readonly<Record<string, number>>;
  /** Defaults to the policy's `forecast.installMs`. */
  readonly installMs?: number;
  readonly calendar?: Calendar;
}

export interface MilestoneForecast {
  readonly key: string;
  readonly code: MilestoneCode;
  readonly dueAt: number;
  readonly forecastAt: number;
  /** The forecast passes the due time (or the clock has already breached). */
  readonly atRisk: boolean;
  /** dueAt - forecastAt: negative when at risk. */
  readonly marginMs: number;
}

export interface TicketForecast {
  /** When the last outstanding part should be in; null with nothing outstanding. */
  readonly partsReadyAt: number | null;
  readonly items: readonly MilestoneForecast[];
  readonly atRisk: boolean;
}

const isOpenClock = (m: MilestoneStatus): boolean =>
  m.state === 'running' ||
  m.state === 'paused' ||
  (m.state === 'breached' && m.metAt === null && m.endedAt === null);

function item(m: MilestoneStatus, forecastAt: number): MilestoneForecast | null {
  if (m.dueAt === null) return null;
  return {
    key: m.key,
    code: m.code,
    dueAt: m.dueAt,
    forecastAt,
    atRisk: m.state === 'breached' || forecastAt > m.dueAt,
    marginMs: m.dueAt - forecastAt,
  };
}

/**
 * Forecast from part ETAs, so a late part raises the alarm when it is reserved, not at the
 * deadline (research/sla-tickets.md 7.3). Each open delivery clock is forecast at its ETA; the
 * milestones the policy ties to the parts (REPLACE_PARTS: installed; RESOLVE: installed and
 * verified) are forecast from the last outstanding part. RESOLVE can still be met earlier by a
 * swap unit or a loaner: an at-risk RESOLVE is the signal to send one.
 */
export function forecastTicket(
  policy: SlaPolicy,
  result: TicketSlaResult,
  options: ForecastOptions = {},
): TicketForecast {
  const now = options.now ?? result.asOf;
  const calendar = options.calendar ?? CALENDAR_24X7;
  const installMs = options.installMs ?? policy.forecast.installMs;
  const verifyMs = Math.max(
    0,
    ...policy.milestones.map((def) =>
      def.kind === 'min_duration' && def.target.type === 'fixed' ? def.target.ms : 0,
    ),
  );
  const items: MilestoneForecast[] = [];
  let partsReadyAt: number | null = null;

  for (const reservation of result.reservations) {
    if (reservation.deliveredAt !== null || reservation.releasedAt !== null) continue;
    const clock = result.milestones.find(
      (m) => m.scope === 'reservation' && m.scopeId === reservation.reservationId && isOpenClock(m),
    );
    // Without an ETA, assume the part keeps its delivery promise.
    const eta = options.etas?.[reservation.reservationId] ?? reservation.etaAt ?? clock?.dueAt;
    if (eta === undefined || eta === null) continue;
    const arrival = Math.max(eta, now); // an overdue part cannot arrive in the past
    partsReadyAt = partsReadyAt === null ? arrival : Math.max(partsReadyAt, arrival);
    const forecast = clock === undefined ? null : item(clock, arrival);
    if (forecast !== null) items.push(forecast);
  }

  if (partsReadyAt !== null) {
    const installed = calendar.addWorkingTime(partsReadyAt, installMs);
    const verified = calendar.addWorkingTime(installed, verifyMs);
    for (const m of result.milestones) {
      const role = policy.forecast.milestones[m.code];
      if (role === undefined || !isOpenClock(m)) continue;
      const forecast = item(m, role === 'installed' ? installed : verified);
      if (forecast !== null) items.push(forecast);
    }
  }
  return { partsReadyAt, items, atRisk: items.some((i) => i.atRisk) };
}

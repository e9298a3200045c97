// What both layers of bench/rules.bench.ts report about the killed devices: detection latency
// after the deadline, and how each kill ended (its own ticket, or correlated as designed).
import { DEVICE_CATALOG } from '@orfleet/devices';
import type { Fleet } from './fleet';
import { distribution } from '../series';
import type { Distribution } from '../series';

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly minMs: number;
  /** The whole distribution at the quantiles of series.ts (the plots of docs/performance.md). */
  readonly distribution: Distribution;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) =>
    sorted.length === 0
      ? NaN
      : round1(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!);
  return {
    count: sorted.length,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: sorted.length === 0 ? NaN : round1(sorted[sorted.length - 1]!),
    minMs: sorted.length === 0 ? NaN : round1(sorted[0]!),
    distribution: distribution(sorted, { sorted: true, digits: 1 }),
  };
}

/**
 * The deadline of a killed device as its messages set it: last `ts` + interval × misses. The
 * engine counts from the message's arrival, so its own deadline is later by the delivery.
 */
export const deadlineOf = (fleet: Fleet, device: number) =>
  fleet.lastSent[device]! + fleet.spanMs[device]!;

/**
 * Correlated as designed: a tag whose every recently-hearing base station is itself missing is
 * `unknown`, not missing (no ticket of its own). With hand-overs going only to stations that are
 * never killed, that is a tag last carried by a killed station that was missed before the tag.
 */
export function expectedUnknown(fleet: Fleet, device: number): boolean {
  if (DEVICE_CATALOG[fleet.kinds[device]!].transport !== 'ble') return false;
  const station = fleet.lastStation[device]!;
  return (
    station >= 0 &&
    fleet.killAt[station] !== Infinity &&
    deadlineOf(fleet, station) < deadlineOf(fleet, device)
  );
}

export interface Outcome {
  readonly killed: number;
  /** Killed devices with a `missing:<id>` ticket of their own. */
  readonly ownTickets: number;
  /** Killed tags left `unknown` behind a missing base station (no ticket, by design). */
  readonly unknownBehindMissingStation: number;
  /** ...of which the bench expected (expectedUnknown). */
  readonly unknownExpected: number;
  /** Killed devices covered by a site ticket (site storm), by design. */
  readonly inSiteTicket: number;
  /** Killed devices with nothing to show for it: a miss. */
  readonly unaccounted: number;
  /** `missing:` tickets of devices that were never killed: false alarms. */
  readonly falseTickets: number;
  readonly siteTickets: number;
  readonly platformTickets: number;
  readonly otherTickets: number;
  /** ownTickets === killed − unknown − inSiteTicket, and no false or unexpected tickets. */
  readonly ticketsMatch: boolean;
}

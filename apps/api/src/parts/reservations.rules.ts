import type { Severity, StoreTier } from '@orfleet/sla';
import type { ReservationStatus } from './reservation.entity';

/** Pure decisions of the reservation flow; ReservationsService only loads, calls these, saves. */

const HOUR_MS = 3_600_000;

/** contract "Spare parts": tier 1 (hospital IT centre), then tier 2 (regional), then national. */
export const TIER_ORDER: readonly StoreTier[] = ['hospital', 'regional', 'national'];

export interface CandidateStore {
  readonly id: string;
  readonly tier: StoreTier;
}

/** The stores to try, in fallback order, at most one per tier (the schema allows no more). */
export function fallbackOrder<S extends CandidateStore>(stores: readonly S[]): S[] {
  const ordered: S[] = [];
  for (const tier of TIER_ORDER) {
    const store = stores.find((s) => s.tier === tier);
    if (store !== undefined) ordered.push(store);
  }
  return ordered;
}

/** Delivery time from a store of `tier` to the site. */
export function deliveryMs(tier: StoreTier, severity: Severity): number {
  switch (tier) {
    case 'hospital':
      return 0; // on the shelf at the hospital's IT centre
    case 'regional':
      // contract: urgent parts within 2 h; a green ticket is not urgent: next-day courier
      // (still inside green's 48 h resolve).
      return severity === 'green' ? 24 * HOUR_MS : 2 * HOUR_MS;
    case 'national':
      return 48 * HOUR_MS; // contract: special parts within 48 h by national transfer
  }
}

export function etaFor(tier: StoreTier, severity: Severity, now: Date): Date {
  return new Date(now.getTime() + deliveryMs(tier, severity));
}

export type ReservationAction = 'release' | 'deliver' | 'consume';

const TRANSITIONS: Readonly<
  Record<ReservationAction, Readonly<Partial<Record<ReservationStatus, ReservationStatus>>>>
> = {
  release: { reserved: 'released', delivered: 'released', backordered: 'released' },
  deliver: { reserved: 'delivered' },
  consume: { reserved: 'consumed', delivered: 'consumed' },
};

/** The status after `action`, or undefined when the action is not allowed from `from`. */
export function nextStatus(
  from: ReservationStatus,
  action: ReservationAction,
): ReservationStatus | undefined {
  return TRANSITIONS[action][from];
}

/** Whether a reservation in `status` holds units in `stock.reserved` of its store. */
export function holdsStock(status: ReservationStatus): boolean {
  return status === 'reserved' || status === 'delivered';
}

export interface StockLevel {
  readonly onHand: number;
  readonly reorderPoint: number | null;
  readonly reorderQty: number | null;
}

/**
 * The quantity to request when stock has fallen to or below its reorder point, else undefined
 * (no reorder point set, or still above it). Without a reorder quantity, order back up to twice
 * the reorder point (Odoo orderpoint min/max with max = 2 × min).
 */
export function replenishmentQty(stock: StockLevel): number | undefined {
  if (stock.reorderPoint === null || stock.onHand > stock.reorderPoint) return undefined;
  return stock.reorderQty ?? Math.max(stock.reorderPoint * 2 - stock.onHand, 1);
}

export interface ReserveShape {
  readonly ticketId: string;
  readonly partNumber: string;
  readonly qty: number;
  readonly idempotencyKey: string;
}

/** What is wrong with a reserve request (empty when fine); mirrors the table's checks. */
export function reserveRequestProblems(request: ReserveShape): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(request.qty) || request.qty < 1 || request.qty > 1000)
    problems.push('qty must be an integer from 1 to 1000');
  if (request.idempotencyKey.length < 1 || request.idempotencyKey.length > 200)
    problems.push('idempotencyKey must have 1 to 200 characters');
  if (request.partNumber.length === 0) problems.push('partNumber is required');
  return problems;
}

/** A reused idempotency key must describe the same request, or it is a client bug. */
export function sameReserveRequest(stored: ReserveShape, request: ReserveShape): boolean {
  return (
    stored.ticketId === request.ticketId &&
    stored.partNumber === request.partNumber &&
    stored.qty === request.qty
  );
}

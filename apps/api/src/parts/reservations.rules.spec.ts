import type { Severity, StoreTier } from '@orfleet/sla';
import type { ReservationStatus } from './reservation.entity';
import { RESERVATION_STATUSES } from './reservation.entity';
import {
  deliveryMs,
  etaFor,
  fallbackOrder,
  holdsStock,
  nextStatus,
  replenishmentQty,
  reserveRequestProblems,
  sameReserveRequest,
} from './reservations.rules';
import type { ReservationAction } from './reservations.rules';

const HOUR = 3_600_000;

describe('fallbackOrder', () => {
  const h = { id: 'h', tier: 'hospital' as const };
  const r = { id: 'r', tier: 'regional' as const };
  const n = { id: 'n', tier: 'national' as const };
  it.each([
    ['all three, shuffled', [n, h, r], ['h', 'r', 'n']],
    ['no hospital store', [n, r], ['r', 'n']],
    ['no regional store', [n, h], ['h', 'n']],
    ['only national', [n], ['n']],
    ['none', [], []],
  ])('%s', (_label, stores, expected) => {
    expect(fallbackOrder(stores).map((s) => s.id)).toEqual(expected);
  });
});

describe('ETA by tier and severity', () => {
  const now = new Date('2026-05-01T08:00:00Z');
  it.each<[StoreTier, Severity, number]>([
    ['hospital', 'red', 0],
    ['hospital', 'green', 0],
    ['regional', 'red', 2 * HOUR],
    ['regional', 'yellow', 2 * HOUR],
    ['regional', 'green', 24 * HOUR],
    ['national', 'red', 48 * HOUR],
    ['national', 'yellow', 48 * HOUR],
    ['national', 'green', 48 * HOUR],
  ])('%s store, %s ticket: +%d ms', (tier, severity, ms) => {
    expect(deliveryMs(tier, severity)).toBe(ms);
    expect(etaFor(tier, severity, now).getTime()).toBe(now.getTime() + ms);
  });
});

describe('reservation transitions', () => {
  const allowed: Record<
    ReservationAction,
    Partial<Record<ReservationStatus, ReservationStatus>>
  > = {
    release: { reserved: 'released', delivered: 'released', backordered: 'released' },
    deliver: { reserved: 'delivered' },
    consume: { reserved: 'consumed', delivered: 'consumed' },
  };
  const cases = (['release', 'deliver', 'consume'] as const).flatMap((action) =>
    RESERVATION_STATUSES.map((from) => [action, from, allowed[action][from]] as const),
  );
  it.each(cases)('%s from %s → %s', (action, from, to) => {
    expect(nextStatus(from, action)).toBe(to);
  });

  it.each<[ReservationStatus, boolean]>([
    ['reserved', true],
    ['delivered', true],
    ['backordered', false],
    ['consumed', false],
    ['released', false],
  ])('%s holds stock: %s', (status, holds) => {
    expect(holdsStock(status)).toBe(holds);
  });
});

describe('replenishmentQty (reorder point crossed by a consume)', () => {
  it.each([
    ['no reorder point', 0, null, null, undefined],
    ['above the point', 3, 2, 10, undefined],
    ['at the point, with a reorder qty', 2, 2, 10, 10],
    ['below the point, with a reorder qty', 0, 2, 10, 10],
    ['at the point, no qty: up to twice the point', 2, 2, null, 2],
    ['empty, no qty: up to twice the point', 0, 5, null, 10],
    ['point 0 reached, no qty: at least one', 0, 0, null, 1],
  ])('%s', (_label, onHand, reorderPoint, reorderQty, expected) => {
    expect(replenishmentQty({ onHand, reorderPoint, reorderQty })).toBe(expected);
  });
});

describe('reserve request checks', () => {
  const ok = { ticketId: 't', partNumber: 'P-1', qty: 1, idempotencyKey: 'k' };
  it.each([
    ['a fine request', ok, 0],
    ['qty 0', { ...ok, qty: 0 }, 1],
    ['qty 1001', { ...ok, qty: 1001 }, 1],
    ['qty 1.5', { ...ok, qty: 1.5 }, 1],
    ['an empty key', { ...ok, idempotencyKey: '' }, 1],
    ['a 201-char key', { ...ok, idempotencyKey: 'k'.repeat(201) }, 1],
    ['empty part and qty 0', { ...ok, partNumber: '', qty: 0 }, 2],
  ])('%s', (_label, request, problems) => {
    expect(reserveRequestProblems(request)).toHaveLength(problems);
  });

  it.each([
    ['the same request', {}, true],
    ['another ticket', { ticketId: 'u' }, false],
    ['another part', { partNumber: 'P-2' }, false],
    ['another qty', { qty: 2 }, false],
    ['another key (ignored: the key found it)', { idempotencyKey: 'x' }, true],
  ])('a replay with %s matches: %s', (_label, change, same) => {
    expect(sameReserveRequest(ok, { ...ok, ...change })).toBe(same);
  });
});

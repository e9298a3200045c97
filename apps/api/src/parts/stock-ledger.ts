import type { EntityManager } from 'typeorm';
import { replenishmentQty } from './reservations.rules';
import type { StockMoveType } from './stock-move.entity';

/**
 * SQL shared by the stock and reservation services. Every function runs on the caller's manager
 * (inside its transaction), so a stock change and its ledger row commit together.
 */

/** A `stock` row as RETURNING gives it. */
export interface StockRow {
  readonly part_number: string;
  readonly store_id: string;
  readonly on_hand: number;
  readonly reserved: number;
  readonly reorder_point: number | null;
  readonly reorder_qty: number | null;
}

/**
 * Runs an `UPDATE/INSERT ... RETURNING` and gives its rows. TypeORM's `query()` answers an UPDATE
 * with `[rows, count]` but an INSERT with `rows`; wrapped in a CTE both come back as rows.
 */
export function returning<T>(manager: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  return manager.query<T[]>(`WITH changed AS (${sql}) SELECT * FROM changed`, params);
}

export interface MoveInput {
  readonly partNumber: string;
  readonly storeId: string;
  readonly type: StockMoveType;
  /** Signed change: of on hand, or of reserved for reserve/release moves. */
  readonly qty: number;
  readonly reservationId?: string | null;
  readonly actor: string;
  readonly at: Date;
  readonly note?: string | null;
}

/** Appends one row to the stock ledger. */
export async function recordMove(manager: EntityManager, move: MoveInput): Promise<void> {
  await manager.query(
    `INSERT INTO stock_move (part_number, store_id, type, qty, reservation_id, at, actor, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      move.partNumber,
      move.storeId,
      move.type,
      move.qty,
      move.reservationId ?? null,
      move.at,
      move.actor,
      move.note ?? null,
    ],
  );
}

/**
 * After on hand went down: opens a replenishment request when the stock is at or below its
 * reorder point and none is open or ordered yet (the partial unique index decides, so two
 * concurrent consumes open one request). Returns whether a request was opened.
 */
export async function raiseReplenishmentIfLow(
  manager: EntityManager,
  stock: StockRow,
  actor: string,
  now: Date,
): Promise<boolean> {
  const qty = replenishmentQty({
    onHand: stock.on_hand,
    reorderPoint: stock.reorder_point,
    reorderQty: stock.reorder_qty,
  });
  if (qty === undefined || stock.reorder_point === null) return false;
  const opened = await manager.query<unknown[]>(
    `INSERT INTO replenishment_request
       (part_number, store_id, qty, on_hand, reorder_point, status, created_at, created_by,
        updated_at, updated_by)
     VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $6, $7)
     ON CONFLICT (part_number, store_id) WHERE status IN ('open', 'ordered') DO NOTHING
     RETURNING id`,
    [stock.part_number, stock.store_id, qty, stock.on_hand, stock.reorder_point, now, actor],
  );
  return opened.length > 0;
}

import { ApiProperty } from '@nestjs/swagger';
import { DEVICE_KINDS } from '@orfleet/devices';
import { STORE_TIERS } from '@orfleet/sla';
import type { StoreTier } from '@orfleet/sla';
import type { Part, PartClass } from './part.entity';
import { PART_CLASSES } from './part.entity';
import type { ReplenishmentRequest } from './replenishment-request.entity';
import { RESERVATION_STATUSES } from './reservation.entity';
import type { Reservation, ReservationStatus } from './reservation.entity';
import { REPLENISHMENT_STATUSES } from './parts.dto';
import type { ReplenishmentStatus } from './stock.rules';
import { STOCK_MOVE_TYPES } from './stock-move.entity';
import type { StockMove, StockMoveType } from './stock-move.entity';
import type { Store } from './store.entity';

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export class PartView {
  @ApiProperty() partNumber!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PART_CLASSES }) class!: PartClass;
  @ApiProperty({ enum: STORE_TIERS }) defaultTier!: StoreTier;
  @ApiProperty({ enum: DEVICE_KINDS, isArray: true }) fitsKinds!: string[];
  @ApiProperty({ type: [String] }) fitsModels!: string[];
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
}

export const partView = (p: Part): PartView => ({
  partNumber: p.partNumber,
  name: p.name,
  class: p.class,
  defaultTier: p.defaultTier,
  fitsKinds: p.fitsKinds,
  fitsModels: p.fitsModels,
  createdAt: p.createdAt.toISOString(),
  createdBy: p.createdBy,
});

export class CatalogImportView {
  @ApiProperty({ description: 'Parts in the catalog' }) total!: number;
  @ApiProperty() created!: number;
  @ApiProperty() updated!: number;
  @ApiProperty() unchanged!: number;
}

export class StoreView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: STORE_TIERS }) tier!: StoreTier;
  @ApiProperty({ nullable: true, type: String }) siteId!: string | null;
  @ApiProperty({ nullable: true, type: String }) region!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
}

export const storeView = (s: Store): StoreView => ({
  id: s.id,
  name: s.name,
  tier: s.tier,
  siteId: s.siteId,
  region: s.region,
  createdAt: s.createdAt.toISOString(),
  createdBy: s.createdBy,
});

export class StockLineView {
  @ApiProperty() storeId!: string;
  @ApiProperty() partNumber!: string;
  @ApiProperty() partName!: string;
  @ApiProperty() onHand!: number;
  @ApiProperty() reserved!: number;
  @ApiProperty({ description: 'onHand - reserved: what can be reserved or moved' })
  available!: number;
  @ApiProperty({ nullable: true, type: Number }) reorderPoint!: number | null;
  @ApiProperty({ nullable: true, type: Number }) reorderQty!: number | null;
}

export class TransferView {
  @ApiProperty() from!: StockLineView;
  @ApiProperty() to!: StockLineView;
}

export class StockMoveView {
  @ApiProperty() id!: string;
  @ApiProperty() partNumber!: string;
  @ApiProperty() storeId!: string;
  @ApiProperty({ enum: STOCK_MOVE_TYPES }) type!: StockMoveType;
  @ApiProperty({ description: 'Signed: on hand, or reserved for reserve/release' }) qty!: number;
  @ApiProperty({ nullable: true, type: String }) reservationId!: string | null;
  @ApiProperty() at!: string;
  @ApiProperty() actor!: string;
  @ApiProperty({ nullable: true, type: String }) note!: string | null;
}

export const stockMoveView = (m: StockMove): StockMoveView => ({
  id: m.id,
  partNumber: m.partNumber,
  storeId: m.storeId,
  type: m.type,
  qty: m.qty,
  reservationId: m.reservationId,
  at: m.at.toISOString(),
  actor: m.actor,
  note: m.note,
});

export class ReservationView {
  @ApiProperty() id!: string;
  @ApiProperty() idempotencyKey!: string;
  @ApiProperty() ticketId!: string;
  @ApiProperty() partNumber!: string;
  @ApiProperty() qty!: number;
  @ApiProperty({ enum: RESERVATION_STATUSES }) status!: ReservationStatus;
  @ApiProperty({ nullable: true, type: String }) storeId!: string | null;
  @ApiProperty({ nullable: true, enum: STORE_TIERS }) tier!: StoreTier | null;
  @ApiProperty({ nullable: true, type: String }) eta!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ nullable: true, type: String }) deliveredAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) consumedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) releasedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) releaseReason!: string | null;
}

/** Exported for the tickets feature's reservation endpoints, so both answer the same shape. */
export const reservationView = (r: Reservation): ReservationView => ({
  id: r.id,
  idempotencyKey: r.idempotencyKey,
  ticketId: r.ticketId,
  partNumber: r.partNumber,
  qty: r.qty,
  status: r.status,
  storeId: r.storeId,
  tier: r.tier,
  eta: iso(r.eta),
  createdAt: r.createdAt.toISOString(),
  createdBy: r.createdBy,
  updatedAt: r.updatedAt.toISOString(),
  deliveredAt: iso(r.deliveredAt),
  consumedAt: iso(r.consumedAt),
  releasedAt: iso(r.releasedAt),
  releaseReason: r.releaseReason,
});

export class ReplenishmentView {
  @ApiProperty() id!: string;
  @ApiProperty() partNumber!: string;
  @ApiProperty() storeId!: string;
  @ApiProperty() qty!: number;
  @ApiProperty({ description: 'On hand when the request was opened' }) onHand!: number;
  @ApiProperty() reorderPoint!: number;
  @ApiProperty({ enum: REPLENISHMENT_STATUSES }) status!: ReplenishmentStatus;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty() updatedBy!: string;
}

export const replenishmentView = (r: ReplenishmentRequest): ReplenishmentView => ({
  id: r.id,
  partNumber: r.partNumber,
  storeId: r.storeId,
  qty: r.qty,
  onHand: r.onHand,
  reorderPoint: r.reorderPoint,
  status: r.status,
  createdAt: r.createdAt.toISOString(),
  createdBy: r.createdBy,
  updatedAt: r.updatedAt.toISOString(),
  updatedBy: r.updatedBy,
});

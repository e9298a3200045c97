import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  NotEquals,
  ValidateIf,
} from 'class-validator';
import { DEVICE_KINDS, ID_PATTERN } from '@orfleet/devices';
import type { DeviceKind } from '@orfleet/devices';
import { STORE_TIERS } from '@orfleet/sla';
import type { StoreTier } from '@orfleet/sla';
import { PART_CLASSES } from './part.entity';
import type { PartClass } from './part.entity';
import { RESERVATION_STATUSES } from './reservation.entity';
import type { ReservationStatus } from './reservation.entity';
import type { ReplenishmentStatus } from './stock.rules';

const PART_NUMBER = /^[A-Z0-9][A-Z0-9-]{1,63}$/;
const PART_NUMBER_MESSAGE = '$property: upper-case part number, [A-Z0-9][A-Z0-9-]{1,63}';
const ID = new RegExp(ID_PATTERN);
const ID_MESSAGE = `$property: lowercase id, ${ID_PATTERN}`;

export const REPLENISHMENT_STATUSES = ['open', 'ordered', 'received', 'cancelled'] as const;
/** What the parts administrator may set; `open` is only ever set by the ledger. */
export const REPLENISHMENT_TARGETS = ['ordered', 'received', 'cancelled'] as const;

// ---- parts catalog ---------------------------------------------------------------------------

export class CreatePartDto {
  @ApiProperty({ example: 'PSU-SRV-800' })
  @Matches(PART_NUMBER, { message: PART_NUMBER_MESSAGE })
  partNumber!: string;
  @ApiProperty({ example: 'Server power supply 800 W' }) @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ enum: PART_CLASSES, description: 'common: tier-1 parts; special: 48 h transfer' })
  @IsIn(PART_CLASSES)
  class!: PartClass;
  @ApiProperty({ enum: STORE_TIERS }) @IsIn(STORE_TIERS) defaultTier!: StoreTier;
  @ApiPropertyOptional({ enum: DEVICE_KINDS, isArray: true, default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(DEVICE_KINDS.length)
  @IsIn(DEVICE_KINDS, { each: true })
  fitsKinds?: DeviceKind[];
  @ApiPropertyOptional({ type: [String], example: ['GD-200'], default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  fitsModels?: string[];
}

export class PartQueryDto {
  @ApiPropertyOptional({ enum: DEVICE_KINDS, description: 'Only parts that fit this device kind' })
  @IsOptional()
  @IsIn(DEVICE_KINDS)
  kind?: DeviceKind;
}

// ---- stores ----------------------------------------------------------------------------------

export class CreateStoreDto {
  @ApiProperty({ example: 'st-anne-it' }) @Matches(ID, { message: ID_MESSAGE }) id!: string;
  @ApiProperty({ example: "St Anne's IT centre store" })
  @IsString()
  @Length(1, 200)
  name!: string;
  @ApiProperty({ enum: STORE_TIERS }) @IsIn(STORE_TIERS) tier!: StoreTier;
  @ApiPropertyOptional({ example: 'st-anne', description: 'Hospital stores only: the site' })
  @IsOptional()
  @Matches(ID, { message: ID_MESSAGE })
  siteId?: string;
  @ApiPropertyOptional({ example: 'east', description: 'Regional stores only: the region served' })
  @IsOptional()
  @Matches(ID, { message: ID_MESSAGE })
  region?: string;
}

// ---- stock -----------------------------------------------------------------------------------

export class ReceiveStockDto {
  @ApiProperty({ minimum: 1, maximum: 100_000 }) @IsInt() @Min(1) @Max(100_000) qty!: number;
  @ApiPropertyOptional({ example: 'PO 2026-0042' })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  note?: string;
}

export class AdjustStockDto {
  @ApiProperty({ description: 'Signed correction of on hand, never 0', example: -1 })
  @IsInt()
  @NotEquals(0)
  @Min(-100_000)
  @Max(100_000)
  delta!: number;
  @ApiProperty({ example: 'stock count 2026-05: one disk found broken' })
  @IsString()
  @Length(1, 1000)
  note!: string;
}

export class ReorderDto {
  @ApiProperty({ minimum: 0, description: 'Replenish when on hand falls to or below this' })
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  reorderPoint!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Quantity to order; null: up to twice the reorder point',
  })
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  reorderQty!: number | null;
}

export class TransferDto {
  @ApiProperty({ example: 'BS-UNIT-01' })
  @Matches(PART_NUMBER, { message: PART_NUMBER_MESSAGE })
  partNumber!: string;
  @ApiProperty({ example: 'east-wh' }) @Matches(ID, { message: ID_MESSAGE }) fromStoreId!: string;
  @ApiProperty({ example: 'st-anne-it' }) @Matches(ID, { message: ID_MESSAGE }) toStoreId!: string;
  @ApiProperty({ minimum: 1, maximum: 100_000 }) @IsInt() @Min(1) @Max(100_000) qty!: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 1000) note?: string;
}

export class MoveQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(PART_NUMBER, { message: PART_NUMBER_MESSAGE })
  part?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(ID, { message: ID_MESSAGE }) store?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

// ---- reservations (read side) and replenishment ----------------------------------------------

export class ReservationQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() ticket?: string;
  @ApiPropertyOptional({ enum: RESERVATION_STATUSES })
  @IsOptional()
  @IsIn(RESERVATION_STATUSES)
  status?: ReservationStatus;
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(PART_NUMBER, { message: PART_NUMBER_MESSAGE })
  part?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class ReplenishmentQueryDto {
  @ApiPropertyOptional({ enum: REPLENISHMENT_STATUSES })
  @IsOptional()
  @IsIn(REPLENISHMENT_STATUSES)
  status?: ReplenishmentStatus;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class ReplenishmentStatusDto {
  @ApiProperty({ enum: REPLENISHMENT_TARGETS })
  @IsIn(REPLENISHMENT_TARGETS)
  status!: (typeof REPLENISHMENT_TARGETS)[number];
}

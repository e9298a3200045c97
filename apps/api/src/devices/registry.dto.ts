import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { DEVICE_KINDS, ID_PATTERN } from '@orfleet/devices';
import { ZONES } from '@orfleet/sla';
import type { Zone } from '@orfleet/sla';
import { HEARTBEAT_INTERVAL_S, MISSES_BEFORE_MISSING } from './device.rules';
import { CRITICALITIES, DEVICE_STATUSES } from './device.entity';
import type { Criticality, DeviceStatus } from './device.entity';

const ID = new RegExp(ID_PATTERN);
const ID_MESSAGE = `$property: lowercase id, ${ID_PATTERN}`;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const INTERVAL_MESSAGE = `whole seconds from ${HEARTBEAT_INTERVAL_S.min} to ${HEARTBEAT_INTERVAL_S.max}, or null for the kind's default`;
const MISSES_MESSAGE = `whole beats from ${MISSES_BEFORE_MISSING.min} to ${MISSES_BEFORE_MISSING.max}, or null for the kind's default`;

/** One check and one message (IsInt + Min + Max would give up to three for the same field). */
function WholeNumberIn(
  range: { readonly min: number; readonly max: number },
  message: string,
): PropertyDecorator {
  return ValidateBy({
    name: 'wholeNumberIn',
    validator: {
      validate: (value: unknown) =>
        Number.isInteger(value) && (value as number) >= range.min && (value as number) <= range.max,
      defaultMessage: () => message,
    },
  });
}

/** Per-device heartbeat overrides, shared by create, bulk import and PATCH (null = kind default). */
function HeartbeatIntervalS(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: Number,
      nullable: true,
      minimum: HEARTBEAT_INTERVAL_S.min,
      maximum: HEARTBEAT_INTERVAL_S.max,
      example: 60,
      description:
        "The device's own heartbeat (or sighting) interval in seconds; null or absent: its kind's (contract table). The health rules pick a change up within their registry refresh.",
    }),
    IsOptional(),
    WholeNumberIn(HEARTBEAT_INTERVAL_S, INTERVAL_MESSAGE),
  );
}

function MissesBeforeMissing(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: Number,
      nullable: true,
      minimum: MISSES_BEFORE_MISSING.min,
      maximum: MISSES_BEFORE_MISSING.max,
      example: 5,
      description:
        "Beats the device may miss before it is missing (missing when now > last seen + interval × misses); null or absent: its kind's.",
    }),
    IsOptional(),
    WholeNumberIn(MISSES_BEFORE_MISSING, MISSES_MESSAGE),
  );
}

export class CreateSiteDto {
  @ApiProperty({ example: 'st-anne' }) @Matches(ID, { message: ID_MESSAGE }) id!: string;
  @ApiProperty({ example: "St Anne's Hospital" }) @IsString() @Length(1, 200) name!: string;
  @ApiProperty({ enum: ZONES }) @IsIn(ZONES) zone!: Zone;
  @ApiProperty({ example: 'Asia/Shanghai' }) @IsString() @Length(1, 64) timezone!: string;
  @ApiProperty({ example: 'east', description: 'Region of the tier-2 warehouse serving the site' })
  @Matches(ID, { message: ID_MESSAGE })
  region!: string;
}

export class UpdateSiteDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({ enum: ZONES }) @IsOptional() @IsIn(ZONES) zone?: Zone;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 64) timezone?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(ID, { message: ID_MESSAGE }) region?: string;
}

export class CreateDeviceDto {
  @ApiProperty({ example: 'gd-0101' }) @IsString() @Length(1, 100) id!: string;
  @ApiProperty({ enum: DEVICE_KINDS }) @IsString() @Length(1, 64) kind!: string;
  @ApiProperty({ example: 'GD-200' }) @IsString() @Length(1, 100) model!: string;
  @ApiProperty({ example: 'SN-123456' }) @IsString() @Length(1, 100) serial!: string;
  @ApiProperty({ example: 'st-anne' }) @IsString() @Length(1, 100) siteId!: string;
  @ApiPropertyOptional({ example: 'OR-3' }) @IsOptional() @IsString() @Length(1, 100) room?: string;
  @ApiPropertyOptional({ description: 'Home base station of a BLE device' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  parentId?: string;
  @ApiPropertyOptional({ enum: CRITICALITIES, default: 'normal' })
  @IsOptional()
  @IsString()
  criticality?: string;
  @ApiProperty({ example: '2026-03-01' })
  @Matches(DATE, { message: '$property: YYYY-MM-DD' })
  installDate!: string;
  @ApiPropertyOptional({ description: 'Defaults to install date + 5 years (contract)' })
  @IsOptional()
  @Matches(DATE, { message: '$property: YYYY-MM-DD' })
  warrantyEnd?: string;
  @HeartbeatIntervalS() heartbeatIntervalS?: number | null;
  @MissesBeforeMissing() missesBeforeMissing?: number | null;
}

export class BulkDevicesDto {
  @ApiProperty({ type: [CreateDeviceDto], description: 'Up to 10,000 devices, all or nothing' })
  @ValidateNested({ each: true })
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @Type(() => CreateDeviceDto)
  devices!: CreateDeviceDto[];
}

export class UpdateDeviceDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) model?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) serial?: string;
  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @IsString()
  @Length(0, 100)
  room?: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Empty string clears it' })
  @IsOptional()
  @IsString()
  @Length(0, 100)
  parentId?: string;
  @ApiPropertyOptional({ enum: CRITICALITIES })
  @IsOptional()
  @IsIn(CRITICALITIES)
  criticality?: Criticality;
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(DATE, { message: '$property: YYYY-MM-DD' })
  warrantyEnd?: string;
  @ApiPropertyOptional({ enum: DEVICE_STATUSES })
  @IsOptional()
  @IsIn(DEVICE_STATUSES)
  status?: DeviceStatus;
  @HeartbeatIntervalS() heartbeatIntervalS?: number | null;
  @MissesBeforeMissing() missesBeforeMissing?: number | null;
}

export class ListDevicesQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) site?: string;
  @ApiPropertyOptional({ enum: DEVICE_KINDS }) @IsOptional() @IsIn(DEVICE_KINDS) kind?: string;
  @ApiPropertyOptional({ enum: DEVICE_STATUSES })
  @IsOptional()
  @IsIn(DEVICE_STATUSES)
  status?: DeviceStatus;
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

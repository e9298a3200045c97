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
  ValidateNested,
} from 'class-validator';
import { DEVICE_KINDS, ID_PATTERN } from '@orfleet/devices';
import { ZONES } from '@orfleet/sla';
import type { Zone } from '@orfleet/sla';
import { CRITICALITIES, DEVICE_STATUSES } from './device.entity';
import type { Criticality, DeviceStatus } from './device.entity';

const ID = new RegExp(ID_PATTERN);
const ID_MESSAGE = `$property: lowercase id, ${ID_PATTERN}`;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

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

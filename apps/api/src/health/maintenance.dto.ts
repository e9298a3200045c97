import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { ID_PATTERN } from '@orfleet/devices';
import { MAX_REASON_LENGTH, WINDOW_STATUSES } from './maintenance.rules';
import type { WindowStatus } from './maintenance.rules';

const ID = new RegExp(ID_PATTERN);
/** An instant, not a wall-clock time: the offset is required (`Z` or `+08:00`). */
const WITH_OFFSET = /(Z|[+-]\d{2}:\d{2})$/;
const INSTANT_MESSAGE = '$property: an ISO 8601 instant with Z or an offset';

export class CreateWindowDto {
  @ApiPropertyOptional({ description: 'The whole site (or deviceId: exactly one)' })
  @IsOptional()
  @Matches(ID, { message: 'siteId: a site id' })
  siteId?: string;

  @ApiPropertyOptional({ description: 'One device (or siteId: exactly one)' })
  @IsOptional()
  @Matches(ID, { message: 'deviceId: a device id' })
  deviceId?: string;

  @ApiProperty({ example: '2026-03-02T20:00:00Z' })
  @IsISO8601({ strict: true })
  @Matches(WITH_OFFSET, { message: INSTANT_MESSAGE })
  startsAt!: string;

  @ApiProperty({ example: '2026-03-02T23:00:00Z', description: 'After startsAt, at most 31 days' })
  @IsISO8601({ strict: true })
  @Matches(WITH_OFFSET, { message: INSTANT_MESSAGE })
  endsAt!: string;

  @ApiProperty({ example: 'OR-3 dispenser firmware update', maxLength: MAX_REASON_LENGTH })
  @IsString()
  @Length(1, MAX_REASON_LENGTH)
  reason!: string;
}

export class ListWindowsQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Active now, or not' })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'Windows on the site and on its devices' })
  @IsOptional()
  @Matches(ID, { message: 'siteId: a site id' })
  siteId?: string;

  @ApiPropertyOptional({ description: "Windows that may cover the device: its own and its site's" })
  @IsOptional()
  @Matches(ID, { message: 'deviceId: a device id' })
  deviceId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class MaintenanceWindowView {
  @ApiProperty() id!: string;
  @ApiProperty({ nullable: true, type: String }) siteId!: string | null;
  @ApiProperty({ nullable: true, type: String }) deviceId!: string | null;
  @ApiProperty() startsAt!: string;
  @ApiProperty({ description: 'As planned; an early end is endedAt' }) endsAt!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ enum: WINDOW_STATUSES, description: 'As of this read' }) status!: WindowStatus;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty({ nullable: true, type: String }) endedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) endedBy!: string | null;
}

export class SuppressionView {
  @ApiProperty({ nullable: true, type: String }) deviceId!: string | null;
  @ApiProperty() siteId!: string;
  @ApiProperty({ example: 'missing' }) rule!: string;
  @ApiProperty({ example: 'missing:gd-0101' }) fingerprint!: string;
  @ApiProperty({ description: 'First suppressed occurrence' }) at!: string;
  @ApiProperty({ description: 'Last suppressed occurrence' }) lastAt!: string;
  @ApiProperty() occurrences!: number;
}

export class MaintenanceWindowDetailView extends MaintenanceWindowView {
  @ApiProperty({
    type: [SuppressionView],
    description: 'Tickets it kept from opening (first 1,000)',
  })
  suppressed!: SuppressionView[];
  @ApiProperty() suppressedTotal!: number;
}

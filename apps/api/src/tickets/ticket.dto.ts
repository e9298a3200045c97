import { ReservationView } from '../parts/parts.views';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ID_PATTERN } from '@orfleet/devices';
import { PAUSE_REASONS, SEVERITIES } from '@orfleet/sla';
import type { PauseReason, Severity, Zone } from '@orfleet/sla';
import { TICKET_SOURCES } from './ticket.entity';
import type { TicketSource } from './ticket.entity';
import { RESTORE_MODES, TICKET_STATUSES, USER_EVENT_TYPES } from './ticket-events.rules';
import type { RestoreMode, UserEventType } from './ticket-events.rules';

const ID = new RegExp(ID_PATTERN);
const PART_NUMBER = /^[A-Z0-9][A-Z0-9-]{1,63}$/;

export class PartLineDto {
  @ApiProperty({ example: 'PSU-450W' })
  @Matches(PART_NUMBER, { message: 'partNumber: A-Z, 0-9 and -' })
  partNumber!: string;

  @ApiProperty({ minimum: 1, maximum: 1000 })
  @IsInt()
  @Min(1)
  @Max(1000)
  qty!: number;
}

export class CreateTicketDto {
  @ApiProperty({ enum: SEVERITIES })
  @IsIn(SEVERITIES)
  severity!: Severity;

  @ApiProperty({ example: 'Gown dispenser OR-3 jammed' })
  @IsString()
  @Length(1, 200)
  title!: string;

  @ApiProperty({ example: 'device-unusable' })
  @IsString()
  @Length(1, 64)
  category!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiPropertyOptional({ description: 'The device; implies its site' })
  @IsOptional()
  @Matches(ID, { message: 'deviceId: a device id' })
  deviceId?: string;

  @ApiPropertyOptional({ description: 'Required without a device' })
  @ValidateIf((o: CreateTicketDto) => o.deviceId === undefined || o.siteId !== undefined)
  @Matches(ID, { message: 'siteId: a site id (required without deviceId)' })
  siteId?: string;

  @ApiPropertyOptional({ enum: TICKET_SOURCES, default: 'hotline' })
  @IsOptional()
  @IsIn(TICKET_SOURCES)
  source?: TicketSource;

  @ApiPropertyOptional({
    description: 'Dedup key, unique among open tickets: the open one is returned instead',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  fingerprint?: string;

  @ApiPropertyOptional({
    type: [PartLineDto],
    description: 'Parts to reserve at once (e.g. the part that fixes a reported fault)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => PartLineDto)
  parts?: PartLineDto[];

  @ApiPropertyOptional({
    description:
      'When the report came in, for a call typed in later: the SLA clocks count from it. Not in the future, at most 24 h back; not for health-rule tickets. Recorded as a note.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  reportedAt?: string;
}

export class TicketEventDto {
  @ApiProperty({ enum: USER_EVENT_TYPES })
  @IsIn(USER_EVENT_TYPES)
  type!: UserEventType;

  @ApiPropertyOptional({
    description:
      'When it happened (default now). Not in the future, not before the ticket or its last event.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;

  @ApiPropertyOptional({ description: 'Visit events; default the latest visit not cancelled' })
  @IsOptional()
  @Matches(/^v[1-9]\d{0,3}$/, { message: 'visitId: v1, v2…' })
  visitId?: string;

  @ApiPropertyOptional({ description: 'dispatch: the engineer sent' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  engineer?: string;

  @ApiPropertyOptional({ description: 'dispatch to a remote site: the agreed arrival' })
  @IsOptional()
  @IsISO8601({ strict: true })
  agreedArrivalAt?: string;

  @ApiPropertyOptional({ description: 'diagnose' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  faultCode?: string;

  @ApiPropertyOptional({ type: [PartLineDto], description: 'diagnose: parts to reserve' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => PartLineDto)
  parts?: PartLineDto[];

  @ApiPropertyOptional({ enum: RESTORE_MODES, description: 'restore' })
  @IsOptional()
  @IsIn(RESTORE_MODES)
  mode?: RestoreMode;

  @ApiPropertyOptional({ enum: PAUSE_REASONS, description: 'hold' })
  @IsOptional()
  @IsIn(PAUSE_REASONS)
  reason?: PauseReason;

  @ApiPropertyOptional({ enum: SEVERITIES, description: 'upgrade: a higher level' })
  @IsOptional()
  @IsIn(SEVERITIES)
  severity?: Severity;

  @ApiPropertyOptional({ description: 'note, report (required); others optional' })
  @IsOptional()
  @IsString()
  @Length(1, 10_000)
  text?: string;
}

export class ListTicketsQuery {
  @ApiPropertyOptional({
    description: `Comma list of ${TICKET_STATUSES.join(', ')}; or "open" (not closed/cancelled)`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  status?: string;

  @ApiPropertyOptional({ description: 'Comma list of red, yellow, green' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  severity?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ID, { message: 'site: a site id' })
  site?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ID, { message: 'device: a device id' })
  device?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'])
  breached?: 'true' | 'false';

  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'])
  atRisk?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class MilestoneView {
  @ApiProperty({ example: 'ARRIVE:v1' }) key!: string;
  @ApiProperty() code!: string;
  @ApiProperty() scope!: string;
  @ApiProperty({ nullable: true, type: String }) scopeId!: string | null;
  @ApiProperty() kind!: string;
  @ApiProperty() state!: string;
  @ApiProperty() severity!: string;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) dueAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) originalDueAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) metAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) breachedAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) latenessMs!: number | null;
  @ApiProperty() pausedMs!: number;
  @ApiProperty({ nullable: true, type: String }) forecastAt!: string | null;
  @ApiProperty() atRisk!: boolean;
}

export class VisitView {
  @ApiProperty({ example: 'v1' }) id!: string;
  @ApiProperty() engineer!: string;
  @ApiProperty() zone!: Zone;
  @ApiProperty() status!: string;
  @ApiProperty({ nullable: true, type: String }) agreedArrivalAt!: string | null;
  @ApiProperty() dispatchedAt!: string;
  @ApiProperty({ nullable: true, type: String }) arrivedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) departedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) reportedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) cancelledAt!: string | null;
}

export class TicketEventView {
  @ApiProperty() seq!: number;
  @ApiProperty() type!: string;
  @ApiProperty() at!: string;
  @ApiProperty() recordedAt!: string;
  @ApiProperty() actor!: string;
  @ApiProperty({ type: Object }) payload!: Record<string, unknown>;
}

export class TicketView {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'T-2026-000123' }) number!: string;
  @ApiProperty({ enum: SEVERITIES }) severity!: Severity;
  @ApiProperty() title!: string;
  @ApiProperty() category!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String }) deviceId!: string | null;
  @ApiProperty() siteId!: string;
  @ApiProperty() zone!: Zone;
  @ApiProperty({ enum: TICKET_SOURCES }) source!: TicketSource;
  @ApiProperty({ nullable: true, type: String }) fingerprint!: string | null;
  @ApiProperty({ enum: TICKET_STATUSES }) status!: string;
  @ApiProperty() policyId!: string;
  @ApiProperty() policyVersion!: number;
  @ApiProperty() occurrences!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ nullable: true, type: String }) acknowledgedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) respondedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) restoredAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) restoredHow!: string | null;
  @ApiProperty({ nullable: true, type: String }) resolvedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) closedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) cancelledAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) nextDueAt!: string | null;
  @ApiProperty() breached!: boolean;
  @ApiProperty() atRisk!: boolean;
}

export class TicketDetailView extends TicketView {
  @ApiProperty({ description: 'The SLA as of this read (recomputed from the log)' })
  slaAsOf!: string;
  @ApiProperty({ enum: USER_EVENT_TYPES, isArray: true }) allowedEvents!: string[];
  @ApiProperty({ type: [MilestoneView] }) milestones!: MilestoneView[];
  @ApiProperty({ type: [VisitView] }) visits!: VisitView[];
  @ApiProperty({ type: [ReservationView] }) reservations!: ReservationView[];
  @ApiProperty({ type: [TicketEventView] }) events!: TicketEventView[];
}

export class OpenedTicketView extends TicketDetailView {
  @ApiProperty({ description: 'True when an open ticket had this fingerprint' })
  deduplicated!: boolean;
}

export class TicketPageView {
  @ApiProperty({ type: [TicketView] }) items!: TicketView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

import { ApiProperty } from '@nestjs/swagger';
import { SEVERITIES } from '@orfleet/sla';
import type { Severity } from '@orfleet/sla';
import { HEALTH_STATES } from './device-health.rules';
import type { HealthState, StateCounts } from './device-health.rules';

export class OpenTicketRef {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'T-2026-000123' }) number!: string;
  @ApiProperty({ enum: SEVERITIES }) severity!: Severity;
  @ApiProperty() status!: string;
  @ApiProperty() title!: string;
}

export class CoveringWindowRef {
  @ApiProperty() id!: string;
  @ApiProperty() endsAt!: string;
  @ApiProperty() reason!: string;
}

export class DeviceHealthView {
  @ApiProperty() deviceId!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({
    enum: HEALTH_STATES,
    description: 'maintenance > missing, unknown > faulty > ok',
  })
  state!: HealthState;
  @ApiProperty({ nullable: true, type: String }) lastSeenAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Since when the rules track it as ok, missing or unknown; null: never seen',
  })
  stateSince!: string | null;
  @ApiProperty() missedBeats!: number;
  @ApiProperty({ type: [OpenTicketRef] }) openTickets!: OpenTicketRef[];
  @ApiProperty({ type: CoveringWindowRef, nullable: true })
  maintenanceWindow!: CoveringWindowRef | null;
}

export class StateCountsView implements StateCounts {
  @ApiProperty() ok!: number;
  @ApiProperty() missing!: number;
  @ApiProperty() unknown!: number;
  @ApiProperty() faulty!: number;
  @ApiProperty() maintenance!: number;
}

export class SiteHealthView {
  @ApiProperty() siteId!: string;
  @ApiProperty({ description: 'Devices not retired' }) total!: number;
  @ApiProperty({ type: StateCountsView }) byState!: StateCounts;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/StateCountsView' },
    description: 'Per device kind present at the site',
  })
  byKind!: Record<string, StateCounts>;
}

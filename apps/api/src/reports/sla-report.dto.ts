import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ID_PATTERN } from '@orfleet/devices';

/** Kept as strings: the range rules answer REPORT_INVALID (400) with what is wrong. */
export class SlaReportQuery {
  @ApiProperty({ example: '2026-01-01T00:00:00Z', description: 'Tickets created from (inclusive)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  from?: string;

  @ApiProperty({ example: '2026-02-01T00:00:00Z', description: 'Tickets created before' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  to?: string;

  @ApiPropertyOptional({ description: "One site; months then read in the site's time zone" })
  @IsOptional()
  @Matches(new RegExp(ID_PATTERN), { message: 'site: a site id' })
  site?: string;
}

export class ComplianceRowView {
  @ApiProperty() code!: string;
  @ApiProperty() severity!: string;
  @ApiProperty() met!: number;
  @ApiProperty() breached!: number;
  @ApiProperty() violated!: number;
  @ApiProperty({ nullable: true, type: Number }) rate!: number | null;
}

export class RemoteResolutionRowView {
  @ApiProperty({ example: '2026-01' }) month!: string;
  @ApiProperty() restored!: number;
  @ApiProperty() remote!: number;
  @ApiProperty({ nullable: true, type: Number }) rate!: number | null;
}

export class SlaReportView {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ nullable: true, type: String }) site!: string | null;
  @ApiProperty({ example: 'UTC' }) timeZone!: string;
  @ApiProperty({ description: 'The instant the tickets were recomputed at' }) asOf!: string;
  @ApiProperty() tickets!: number;
  @ApiProperty({ type: [ComplianceRowView] }) compliance!: ComplianceRowView[];
  @ApiProperty({ nullable: true, type: Number }) meanTimeToAcknowledgeMs!: number | null;
  @ApiProperty({ nullable: true, type: Number }) meanTimeToRestoreMs!: number | null;
  @ApiProperty({ type: [RemoteResolutionRowView] }) remoteResolution!: RemoteResolutionRowView[];
}

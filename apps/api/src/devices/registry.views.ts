import { ApiProperty } from '@nestjs/swagger';
import type { Device } from './device.entity';
import { effectiveHeartbeat } from './device.rules';
import type { Site } from './site.entity';

export class SiteView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() zone!: string;
  @ApiProperty() timezone!: string;
  @ApiProperty() region!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty() updatedBy!: string;
}

export class DeviceView {
  @ApiProperty() id!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() model!: string;
  @ApiProperty() serial!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty({ nullable: true, type: String }) room!: string | null;
  @ApiProperty({ nullable: true, type: String }) parentId!: string | null;
  @ApiProperty() criticality!: string;
  @ApiProperty() installDate!: string;
  @ApiProperty() warrantyEnd!: string;
  @ApiProperty() status!: string;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "The device's own heartbeat interval (s); null: its kind's",
  })
  heartbeatIntervalS!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "The device's own misses before missing; null: its kind's",
  })
  missesBeforeMissing!: number | null;
  @ApiProperty({ description: 'Interval the health rules apply (own, else the kind default), s' })
  effectiveHeartbeatIntervalS!: number;
  @ApiProperty({ description: 'Misses the health rules apply (own, else the kind default)' })
  effectiveMissesBeforeMissing!: number;
  @ApiProperty({ description: 'Silent this long (interval × misses, s) and the device is missing' })
  missingAfterS!: number;
  @ApiProperty() secretRotatedAt!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty() updatedBy!: string;
}

export class RegisteredDeviceView {
  @ApiProperty({ type: DeviceView }) device!: DeviceView;
  @ApiProperty({ description: 'MQTT password of the device. Shown once; store it now.' })
  secret!: string;
}

export class DevicePageView {
  @ApiProperty({ type: [DeviceView] }) items!: DeviceView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class CredentialView {
  @ApiProperty() deviceId!: string;
  @ApiProperty({ description: 'SHA-256 (hex) of the device secret' }) secretSha256!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() status!: string;
  @ApiProperty() secretRotatedAt!: string;
}

export const siteView = (s: Site): SiteView => ({
  id: s.id,
  name: s.name,
  zone: s.zone,
  timezone: s.timezone,
  region: s.region,
  createdAt: s.createdAt.toISOString(),
  createdBy: s.createdBy,
  updatedAt: s.updatedAt.toISOString(),
  updatedBy: s.updatedBy,
});

/** Never includes the secret hash. */
export const deviceView = (d: Device): DeviceView => {
  const effective = effectiveHeartbeat(d.kind, d);
  return {
    id: d.id,
    kind: d.kind,
    model: d.model,
    serial: d.serial,
    siteId: d.siteId,
    room: d.room,
    parentId: d.parentId,
    criticality: d.criticality,
    installDate: d.installDate,
    warrantyEnd: d.warrantyEnd,
    status: d.status,
    heartbeatIntervalS: d.heartbeatIntervalS ?? null,
    missesBeforeMissing: d.missesBeforeMissing ?? null,
    effectiveHeartbeatIntervalS: effective.intervalS,
    effectiveMissesBeforeMissing: effective.misses,
    missingAfterS: effective.missingAfterS,
    secretRotatedAt: d.secretRotatedAt.toISOString(),
    createdAt: d.createdAt.toISOString(),
    createdBy: d.createdBy,
    updatedAt: d.updatedAt.toISOString(),
    updatedBy: d.updatedBy,
  };
};

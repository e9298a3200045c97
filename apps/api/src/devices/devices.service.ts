import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { DEVICE_SECRET_PREFIX, newSecret, sha256Hex } from '../auth/token-secret';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { CredentialCache } from './credential.cache';
import { Device } from './device.entity';
import { heartbeatProblems, judgeNewDevice, parentProblems } from './device.rules';
import type { DeviceValues, NewDevice, RegistryView } from './device.rules';
import { RegistryError } from './devices.errors';
import type { ListDevicesQuery, UpdateDeviceDto } from './registry.dto';
import { Site } from './site.entity';

export interface RegisteredDevice {
  readonly device: Device;
  /** The MQTT password. Shown once; only its SHA-256 is stored. */
  readonly secret: string;
}

export interface DevicePage {
  readonly items: Device[];
  readonly nextCursor: string | null;
}

/** What a broker needs to authenticate a device (also readable as the `device_credential` view). */
export interface DeviceCredential {
  readonly deviceId: string;
  readonly secretSha256: string;
  readonly siteId: string;
  readonly kind: string;
  readonly status: string;
  readonly secretRotatedAt: string;
}

const INSERT_CHUNK = 500;

@Injectable()
export class DevicesService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly credentials: CredentialCache,
  ) {}

  register(input: NewDevice, actor: string): Promise<RegisteredDevice> {
    return this.credentials.afterWrite(this.registerOne(input, actor));
  }

  private registerOne(input: NewDevice, actor: string): Promise<RegisteredDevice> {
    return this.dataSource.transaction(async (m) => {
      const [registered] = await this.insertAll(m, [input], actor, (errors) => {
        throw new RegistryError(
          errors[0]?.some((e) => /already (exists|registered)/.test(e))
            ? 'DEVICE_EXISTS'
            : 'DEVICE_INVALID',
          errors[0]?.join('; ') ?? 'invalid device',
          { errors: errors[0] },
        );
      });
      if (registered === undefined) throw new Error('insertAll returned nothing');
      return registered;
    });
  }

  /** All or nothing: any row in error → nothing written, every row's errors reported. */
  registerMany(inputs: readonly NewDevice[], actor: string): Promise<RegisteredDevice[]> {
    return this.credentials.afterWrite(this.registerAll(inputs, actor));
  }

  private registerAll(inputs: readonly NewDevice[], actor: string): Promise<RegisteredDevice[]> {
    return this.dataSource.transaction((m) =>
      this.insertAll(m, inputs, actor, (errors) => {
        const rows = errors.flatMap((list, index) =>
          list.length > 0 ? [{ index, id: inputs[index]?.id, errors: list }] : [],
        );
        throw new RegistryError(
          'BULK_IMPORT_INVALID',
          `${rows.length} of ${inputs.length} devices are invalid; nothing was imported`,
          { rows },
        );
      }),
    );
  }

  private async insertAll(
    m: EntityManager,
    inputs: readonly NewDevice[],
    actor: string,
    fail: (errors: string[][]) => never,
  ): Promise<RegisteredDevice[]> {
    const now = this.clock.now();
    const view = await this.registryView(m, inputs);
    const today = now.toISOString().slice(0, 10);
    const errors: string[][] = [];
    const rows: { values: Device; secret: string }[] = [];
    const seen = new Set<string>();
    for (const input of inputs) {
      const judged = judgeNewDevice(input, view, today);
      const rowErrors = judged.ok ? [] : [...judged.errors];
      if (seen.has(input.id)) rowErrors.push(`id: ${input.id} appears twice in this import`);
      seen.add(input.id);
      errors.push(rowErrors);
      if (judged.ok) {
        // later rows may name this one as their parent, and may not reuse its serial
        view.add(judged.values);
        const secret = newSecret(DEVICE_SECRET_PREFIX);
        rows.push({
          secret,
          values: m.create(Device, {
            ...judged.values,
            status: 'active',
            secretSha256: sha256Hex(secret),
            secretRotatedAt: now,
            createdAt: now,
            createdBy: actor,
            updatedAt: now,
            updatedBy: actor,
          }),
        });
      }
    }
    if (errors.some((list) => list.length > 0)) fail(errors);
    // Parents first: a row may reference a device earlier in the same import.
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await m.insert(
        Device,
        rows.slice(i, i + INSERT_CHUNK).map((r) => r.values),
      );
    }
    return rows.map((r) => ({ device: r.values, secret: r.secret }));
  }

  /** Sites and devices the inputs refer to, loaded in two queries (not one per row). */
  private async registryView(
    m: EntityManager,
    inputs: readonly NewDevice[],
  ): Promise<RegistryView & { add(device: DeviceValues): void }> {
    const siteIds = [...new Set(inputs.map((i) => i.siteId))];
    const deviceIds = [
      ...new Set(inputs.flatMap((i) => (i.parentId ? [i.id, i.parentId] : [i.id]))),
    ];
    const sites = new Set(
      (await m.find(Site, { select: { id: true }, where: { id: In(siteIds) } })).map((s) => s.id),
    );
    const devices = new Map<string, { kind: string; siteId: string }>();
    const batch = new Map<string, { kind: string; siteId: string }>();
    for (let i = 0; i < deviceIds.length; i += 5_000) {
      const found = await m.find(Device, {
        select: { id: true, kind: true, siteId: true },
        where: { id: In(deviceIds.slice(i, i + 5_000)) },
      });
      for (const d of found) devices.set(d.id, { kind: d.kind, siteId: d.siteId });
    }
    const serialKey = (model: string, serial: string) => `${model}\u0000${serial}`;
    const serials = new Map<string, string>();
    const taken = await m.query<{ id: string; model: string; serial: string }[]>(
      `SELECT id, model, serial FROM device
        WHERE (model, serial) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [inputs.map((i) => i.model), inputs.map((i) => i.serial)],
    );
    for (const d of taken) serials.set(serialKey(d.model, d.serial), d.id);
    return {
      siteExists: (id) => sites.has(id),
      deviceExists: (id) => devices.has(id),
      device: (id) => devices.get(id) ?? batch.get(id),
      serialOwner: (model, serial) => serials.get(serialKey(model, serial)),
      add: (d) => {
        batch.set(d.id, { kind: d.kind, siteId: d.siteId });
        serials.set(serialKey(d.model, d.serial), d.id);
      },
    };
  }

  async get(id: string): Promise<Device> {
    const device = await this.dataSource.getRepository(Device).findOne({ where: { id } });
    if (device === null) throw new RegistryError('DEVICE_NOT_FOUND', `no device ${id}`);
    return device;
  }

  async list(query: ListDevicesQuery): Promise<DevicePage> {
    const limit = query.limit ?? 100;
    const qb = this.dataSource.getRepository(Device).createQueryBuilder('d');
    if (query.site !== undefined) qb.andWhere('d.site_id = :site', { site: query.site });
    if (query.kind !== undefined) qb.andWhere('d.kind = :kind', { kind: query.kind });
    if (query.status !== undefined) qb.andWhere('d.status = :status', { status: query.status });
    if (query.cursor !== undefined)
      qb.andWhere('d.id > :after', { after: decodeCursor(query.cursor) });
    const items = await qb
      .orderBy('d.id', 'ASC')
      .limit(limit + 1)
      .getMany();
    const more = items.length > limit;
    if (more) items.pop();
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? encodeCursor(last.id) : null };
  }

  update(id: string, change: UpdateDeviceDto, actor: string): Promise<Device> {
    return this.credentials.afterWrite(this.updateOne(id, change, actor));
  }

  private updateOne(id: string, change: UpdateDeviceDto, actor: string): Promise<Device> {
    return this.dataSource.transaction(async (m) => {
      const device = await m.findOne(Device, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (device === null) throw new RegistryError('DEVICE_NOT_FOUND', `no device ${id}`);
      const { parentId, room, ...rest } = change;
      if (parentId !== undefined && parentId !== '') {
        const parent = await m.findOne(Device, { where: { id: parentId } });
        const problems = parentProblems(device.kind, device.siteId, parentId, device.id, {
          siteExists: () => true,
          deviceExists: () => parent !== null,
          serialOwner: () => undefined,
          device: () => (parent ? { kind: parent.kind, siteId: parent.siteId } : undefined),
        });
        if (problems.length > 0) throw new RegistryError('DEVICE_INVALID', problems.join('; '));
      }
      if (rest.warrantyEnd !== undefined && rest.warrantyEnd < device.installDate) {
        throw new RegistryError('DEVICE_INVALID', 'warrantyEnd: before installDate');
      }
      const heartbeat = heartbeatProblems(rest);
      if (heartbeat.length > 0) throw new RegistryError('DEVICE_INVALID', heartbeat.join('; '));
      // only the fields the caller named (a DTO instance carries the others as undefined)
      const named = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      Object.assign(device, named, { updatedAt: this.clock.now(), updatedBy: actor });
      if (parentId !== undefined) device.parentId = parentId === '' ? null : parentId;
      if (room !== undefined) device.room = room === '' ? null : room;
      return m.save(device);
    });
  }

  /** Issues a new MQTT secret; the old one stops working (brokers refuse it within their cache TTL). */
  async rotateSecret(id: string, actor: string): Promise<RegisteredDevice> {
    const secret = newSecret(DEVICE_SECRET_PREFIX);
    const now = this.clock.now();
    const result = await this.dataSource
      .getRepository(Device)
      .update(
        { id },
        { secretSha256: sha256Hex(secret), secretRotatedAt: now, updatedAt: now, updatedBy: actor },
      );
    if (result.affected !== 1) throw new RegistryError('DEVICE_NOT_FOUND', `no device ${id}`);
    this.credentials.invalidate();
    return { device: await this.get(id), secret };
  }

  async credential(id: string): Promise<DeviceCredential> {
    const found = await this.loadCredential(id);
    if (found === undefined) throw new RegistryError('DEVICE_NOT_FOUND', `no device ${id}`);
    return found;
  }

  /** The credential of one device, or undefined; shared and cached for brokers (CredentialCache). */
  findCredential(id: string): Promise<DeviceCredential | undefined> {
    return this.credentials.get(id, () => this.loadCredential(id));
  }

  private async loadCredential(id: string): Promise<DeviceCredential | undefined> {
    const [row] = await this.dataSource.query<
      {
        device_id: string;
        secret_sha256: string;
        site_id: string;
        kind: string;
        status: string;
        secret_rotated_at: Date;
      }[]
    >(CREDENTIAL_SQL, [id]);
    if (row === undefined) return undefined;
    return {
      deviceId: row.device_id,
      secretSha256: row.secret_sha256,
      siteId: row.site_id,
      kind: row.kind,
      status: row.status,
      secretRotatedAt: row.secret_rotated_at.toISOString(),
    };
  }
}

/** The documented broker query (docs/api.md "Device credentials"). */
export const CREDENTIAL_SQL =
  'SELECT device_id, secret_sha256, site_id, kind, status, secret_rotated_at FROM device_credential WHERE device_id = $1';

function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ after: id }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      after?: unknown;
    };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new RegistryError('CURSOR_INVALID', 'cursor: not one this API issued');
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import { claimOf, deviceVerdict, serviceVerdict } from '@orfleet/devices';
import type { CheckResult, DeviceRecord, ServiceToken } from '@orfleet/devices';

interface DeviceRow {
  readonly device_id: string;
  readonly secret_sha256: string;
  readonly site_id: string;
  readonly kind: string;
  readonly status: string;
}

interface Device extends DeviceRecord {
  readonly secretSha256: string;
}

type Entry =
  | { readonly until: number; readonly device: Device }
  | { readonly until: number; readonly device: undefined };

/** The documented lookup (docs/api.md "Device credentials"). */
const DEVICE_SQL =
  'SELECT device_id, secret_sha256, site_id, kind, status FROM device_credential WHERE device_id = $1';
/** The token presented as a service account's password; its role is judged by libs/devices. */
const SERVICE_SQL =
  'SELECT name, role FROM api_token WHERE secret_sha256 = $1 AND revoked_at IS NULL';

const sha256 = (secret: Buffer | string) => createHash('sha256').update(secret).digest('hex');

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const NO_CREDENTIALS: CheckResult = { ok: false, reason: 'NO_CREDENTIALS' };

/**
 * Device credentials from the API's PostgreSQL, with a bounded in-process cache: found devices
 * for `ttlMs` (a rotated secret or a retirement takes effect within it), unknown ids for
 * `negativeTtlMs` (a flood of bad ids does not reach the database each time).
 */
export class CredentialStore {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly pool: Pool,
    private readonly options: { ttlMs: number; negativeTtlMs: number; maxEntries: number },
    private readonly now: () => number,
  ) {}

  async check(
    clientId: string,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<CheckResult> {
    // the decisions are libs/devices' (shared with the API's broker-auth endpoints)
    const claim = claimOf(clientId, username, password !== undefined && password.length > 0);
    if (!claim.ok) return claim;
    if (password === undefined) return NO_CREDENTIALS;
    if (claim.type === 'service') return this.checkService(claim.name, password);
    return this.deviceIdentity(claim.deviceId, (device) =>
      sameHex(sha256(password), device.secretSha256),
    );
  }

  /**
   * A client that presented a certificate signed by the broker's CA: the certificate's CN is the
   * device id; the registry must still know the device and have it active.
   */
  async checkCertificate(clientId: string, commonName: string): Promise<CheckResult> {
    const claim = claimOf(clientId, commonName, true);
    if (!claim.ok) return claim;
    // the CN is looked up as a device id (a `svc:` name is none: refused as unknown)
    return this.deviceIdentity(commonName, () => true);
  }

  /** The device's identity when the registry knows it, `proven` holds and it is active. */
  private async deviceIdentity(
    deviceId: string,
    proven: (device: Device) => boolean,
  ): Promise<CheckResult> {
    let device: Device | undefined;
    try {
      device = await this.device(deviceId);
    } catch {
      return { ok: false, reason: 'CREDENTIAL_STORE_DOWN' };
    }
    return deviceVerdict(device, proven);
  }

  private async device(id: string): Promise<Device | undefined> {
    const now = this.now();
    const hit = this.cache.get(id);
    if (hit !== undefined && hit.until > now) return hit.device;
    const { rows } = await this.pool.query<DeviceRow>(DEVICE_SQL, [id]);
    const row = rows[0];
    const device =
      row === undefined
        ? undefined
        : {
            deviceId: row.device_id,
            secretSha256: row.secret_sha256.trim(),
            siteId: row.site_id,
            kind: row.kind,
            status: row.status,
          };
    if (this.cache.size >= this.options.maxEntries) this.cache.clear();
    this.cache.set(id, {
      device,
      until: now + (device === undefined ? this.options.negativeTtlMs : this.options.ttlMs),
    });
    return device;
  }

  private async checkService(name: string, password: Buffer): Promise<CheckResult> {
    try {
      const { rows } = await this.pool.query<ServiceToken>(SERVICE_SQL, [
        sha256(password.toString('utf8')),
      ]);
      return serviceVerdict(name, rows);
    } catch {
      return { ok: false, reason: 'CREDENTIAL_STORE_DOWN' };
    }
  }
}

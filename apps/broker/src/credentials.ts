import { createHash, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import { isDeviceKind } from '@orfleet/devices';
import { SERVICE_PREFIX } from './identity';
import type { Identity } from './identity';

/** Why a connection was refused; each maps to a CONNACK return code (MQTT 3.1.1, 3.2.2.3). */
export type RefusalReason =
  | 'UNKNOWN_DEVICE'
  | 'BAD_SECRET'
  | 'RETIRED_DEVICE'
  | 'NO_CREDENTIALS'
  | 'CLIENT_ID_MISMATCH'
  | 'UNKNOWN_SERVICE'
  | 'CREDENTIAL_STORE_DOWN';

export type CheckResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: RefusalReason };

interface DeviceRow {
  readonly device_id: string;
  readonly secret_sha256: string;
  readonly site_id: string;
  readonly kind: string;
  readonly status: string;
}

type Entry =
  | { readonly until: number; readonly row: DeviceRow }
  | { readonly until: number; readonly row: undefined };

/** The documented lookup (docs/api.md "Device credentials"). */
const DEVICE_SQL =
  'SELECT device_id, secret_sha256, site_id, kind, status FROM device_credential WHERE device_id = $1';
const SERVICE_SQL = `SELECT name FROM api_token
  WHERE secret_sha256 = $1 AND revoked_at IS NULL AND role IN ('device-service', 'admin')`;

/** `account` itself, or `account:<suffix>` for a second session of the same account. */
const ownsClientId = (clientId: string, account: string): boolean =>
  clientId === account || clientId.startsWith(`${account}:`);

const sha256 = (secret: Buffer | string) => createHash('sha256').update(secret).digest('hex');

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

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
    if (username === undefined || password === undefined || password.length === 0) {
      return { ok: false, reason: 'NO_CREDENTIALS' };
    }
    // [MQTT-3.1.3-*] the client id names the session: it must be the account's own, so no one
    // (a service account included) can take over a device's session
    if (!ownsClientId(clientId, username)) return { ok: false, reason: 'CLIENT_ID_MISMATCH' };
    if (username.startsWith(SERVICE_PREFIX)) return this.checkService(username, password);
    return this.deviceIdentity(username, (row) =>
      sameHex(sha256(password), row.secret_sha256.trim()),
    );
  }

  /**
   * A client that presented a certificate signed by the broker's CA: the certificate's CN is the
   * device id; the registry must still know the device and have it active.
   */
  async checkCertificate(clientId: string, commonName: string): Promise<CheckResult> {
    if (!ownsClientId(clientId, commonName)) return { ok: false, reason: 'CLIENT_ID_MISMATCH' };
    return this.deviceIdentity(commonName, () => true);
  }

  /** The device's identity when the registry knows it, `proven` holds and it is active. */
  private async deviceIdentity(
    deviceId: string,
    proven: (row: DeviceRow) => boolean,
  ): Promise<CheckResult> {
    let row: DeviceRow | undefined;
    try {
      row = await this.device(deviceId);
    } catch {
      return { ok: false, reason: 'CREDENTIAL_STORE_DOWN' };
    }
    if (row === undefined || !isDeviceKind(row.kind))
      return { ok: false, reason: 'UNKNOWN_DEVICE' };
    if (!proven(row)) return { ok: false, reason: 'BAD_SECRET' };
    if (row.status !== 'active') return { ok: false, reason: 'RETIRED_DEVICE' };
    return {
      ok: true,
      identity: {
        type: 'device',
        address: { siteId: row.site_id, kind: row.kind, deviceId: row.device_id },
      },
    };
  }

  private async device(id: string): Promise<DeviceRow | undefined> {
    const now = this.now();
    const hit = this.cache.get(id);
    if (hit !== undefined && hit.until > now) return hit.row;
    const { rows } = await this.pool.query<DeviceRow>(DEVICE_SQL, [id]);
    const row = rows[0];
    if (this.cache.size >= this.options.maxEntries) this.cache.clear();
    this.cache.set(id, {
      row,
      until: now + (row === undefined ? this.options.negativeTtlMs : this.options.ttlMs),
    });
    return row;
  }

  private async checkService(username: string, password: Buffer): Promise<CheckResult> {
    const name = username.slice(SERVICE_PREFIX.length);
    try {
      const { rows } = await this.pool.query<{ name: string }>(SERVICE_SQL, [
        sha256(password.toString('utf8')),
      ]);
      return rows[0]?.name === name
        ? { ok: true, identity: { type: 'service', name } }
        : { ok: false, reason: 'UNKNOWN_SERVICE' };
    } catch {
      return { ok: false, reason: 'CREDENTIAL_STORE_DOWN' };
    }
  }
}

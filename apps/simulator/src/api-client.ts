import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PART_CATALOG } from '@orfleet/devices';
import type { Fleet } from './fleet.rules';
import { registrationRow } from './fleet.rules';
import { chunks, planRegistration } from './registration.rules';
import type { KnownDevice, RegistrationPlan } from './registration.rules';
import type { Scenario } from './scenario.rules';

/** An API answer that is not what the simulator needs: the status and the API's own error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The orfleet REST API with an admin token (docs/api.md). */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async request<T>(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new ApiError(
        0,
        `${method} ${this.url}${route}: ${error instanceof Error ? error.message : String(error)} (is the API running?)`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed as T };
  }

  /** The request, which must answer one of `ok`; else an ApiError with the API's message. */
  async expect<T>(
    method: string,
    route: string,
    ok: readonly number[],
    body?: unknown,
  ): Promise<T> {
    const res = await this.request<T>(method, route, body);
    if (!ok.includes(res.status)) {
      const detail = JSON.stringify(res.body);
      const hint =
        res.status === 401 || res.status === 403
          ? ' (the simulator needs an admin token: npm run token -- --role admin --name simulator)'
          : '';
      throw new ApiError(
        res.status,
        `${method} ${route}: ${res.status} ${detail.slice(0, 2_000)}${hint}`,
      );
    }
    return res.body;
  }
}

/** Creates the scenario's sites that do not exist yet (an existing site is left as it is). */
export async function ensureSites(api: ApiClient, scenario: Scenario): Promise<number> {
  let created = 0;
  for (const site of scenario.sites) {
    const found = await api.request('GET', `/api/v1/sites/${site.id}`);
    if (found.status === 200) continue;
    if (found.status !== 404)
      throw new ApiError(
        found.status,
        `GET site ${site.id}: ${found.status} ${JSON.stringify(found.body)}`,
      );
    await api.expect('POST', '/api/v1/sites', [201, 409], {
      id: site.id,
      name: site.name,
      zone: site.zone,
      timezone: site.timezone,
      region: site.region,
    });
    created++;
  }
  return created;
}

interface StockLine {
  readonly partNumber: string;
  readonly onHand: number;
}

/**
 * The scenario's spare-parts stores and their stock: the device catalog's parts imported
 * (idempotent), each store created when missing, each part topped up to the scenario's quantity
 * (never reduced: stock reserved by tickets stays). Returns the units received.
 */
export async function ensureStock(api: ApiClient, scenario: Scenario): Promise<number> {
  if (scenario.stores.length === 0) return 0;
  await api.expect('POST', '/api/v1/parts:import-catalog', [200, 201]);
  let received = 0;
  for (const store of scenario.stores) {
    const found = await api.request('GET', `/api/v1/stores/${store.id}`);
    if (found.status === 404) {
      await api.expect('POST', '/api/v1/stores', [201, 409], {
        id: store.id,
        name: store.name,
        tier: store.tier,
        ...(store.siteId === undefined ? {} : { siteId: store.siteId }),
        ...(store.region === undefined ? {} : { region: store.region }),
      });
    } else if (found.status !== 200) {
      throw new ApiError(
        found.status,
        `GET store ${store.id}: ${found.status} ${JSON.stringify(found.body)}`,
      );
    }
    const lines = await api.expect<StockLine[]>('GET', `/api/v1/stores/${store.id}/stock`, [200]);
    const onHand = new Map(lines.map((l) => [l.partNumber, l.onHand]));
    for (const [partNumber, wanted] of Object.entries(store.stock)) {
      const missing = wanted - (onHand.get(partNumber) ?? 0);
      if (missing <= 0 || !(partNumber in PART_CATALOG)) continue;
      await api.expect(
        'POST',
        `/api/v1/stores/${store.id}/stock/${partNumber}/receive`,
        [200, 201],
        {
          qty: missing,
          note: `simulated hospital ${scenario.name}: opening stock`,
        },
      );
      received += missing;
    }
  }
  return received;
}

async function knownDevices(api: ApiClient, fleet: Fleet): Promise<Map<string, KnownDevice>> {
  const known = new Map<string, KnownDevice>();
  for (const siteId of fleet.sites.keys()) {
    let cursor: string | null = null;
    do {
      const query: string = `/api/v1/devices?site=${siteId}&limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = await api.expect<{ items: KnownDevice[]; nextCursor: string | null }>(
        'GET',
        query,
        [200],
      );
      for (const d of page.items) known.set(d.id, d);
      cursor = page.nextCursor;
    } while (cursor !== null);
  }
  return known;
}

/** Device secrets kept between runs: `{deviceId: secret}` in a 0600 file under the data dir. */
export class SecretStore {
  readonly secrets: Record<string, string>;

  constructor(readonly file: string) {
    this.secrets = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { secrets: Record<string, string> }).secrets
      : {};
  }

  save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ secrets: this.secrets }, null, 1)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file); // a crash mid-write never leaves half a file
  }
}

interface Registered {
  readonly device: { readonly id: string };
  readonly secret: string;
}

/**
 * Registers the fleet: the missing devices through the bulk import, a new secret for registered
 * devices whose secret was lost; every secret saved as soon as the API returns it.
 */
export async function registerFleet(
  api: ApiClient,
  fleet: Fleet,
  store: SecretStore,
): Promise<RegistrationPlan> {
  const plan = planRegistration(fleet, await knownDevices(api, fleet), store.secrets);
  if (plan.conflicts.length > 0) {
    throw new ApiError(
      409,
      `the registry disagrees with the scenario:\n  ${plan.conflicts.slice(0, 20).join('\n  ')}`,
    );
  }
  for (const batch of chunks(plan.toImport, 5_000)) {
    const rows = batch.map((d) => registrationRow(d, fleet.scenario.installDate));
    const registered = await api.expect<Registered[]>('POST', '/api/v1/devices:bulk', [200, 201], {
      devices: rows,
    });
    for (const r of registered) store.secrets[r.device.id] = r.secret;
    store.save();
  }
  for (const ids of chunks(plan.toRotate, 8)) {
    const rotated = await Promise.all(ids.map((id) => rotateSecret(api, id)));
    ids.forEach((id, i) => (store.secrets[id] = rotated[i] as string));
    store.save();
  }
  return plan;
}

export async function rotateSecret(api: ApiClient, deviceId: string): Promise<string> {
  const r = await api.expect<Registered>('POST', `/api/v1/devices/${deviceId}/secret`, [200]);
  return r.secret;
}

/** Ticket list item (GET /api/v1/tickets). */
export interface TicketSummary {
  readonly id: string;
  readonly siteId: string;
  readonly createdAt: string;
}

/** Open tickets of these sites (first 1,000). */
export async function openTickets(
  api: ApiClient,
  sites: ReadonlySet<string>,
): Promise<TicketSummary[]> {
  const all: TicketSummary[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 5; page++) {
    const route: string = `/api/v1/tickets?status=open&limit=200${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res = await api.expect<{ items: TicketSummary[]; nextCursor: string | null }>(
      'GET',
      route,
      [200],
    );
    all.push(...res.items.filter((t) => sites.has(t.siteId)));
    cursor = res.nextCursor;
    if (cursor === null) break;
  }
  return all;
}

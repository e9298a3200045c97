// Shared set-up for the tickets integration specs: registry and stock rows through SQL (the
// registry and parts endpoints are built elsewhere), and short HTTP helpers.
import type { TestApi } from '../../test/harness';

export const SECRET = 'a'.repeat(64);

export async function seedSite(
  t: TestApi,
  id = 'st-anne',
  zone: 'city' | 'suburb' | 'remote' = 'city',
  timezone = 'Asia/Shanghai',
): Promise<void> {
  await t.sql(
    `INSERT INTO site (id, name, zone, timezone, region, created_by, updated_by)
     VALUES ($1, $1, $2, $3, 'east', 'test', 'test')`,
    [id, zone, timezone],
  );
}

export async function seedDevice(t: TestApi, id: string, siteId: string): Promise<void> {
  await t.sql(
    `INSERT INTO device (id, kind, model, serial, site_id, install_date, warranty_end,
       secret_sha256, created_by, updated_by)
     VALUES ($1, 'gown_dispenser', 'GD-2', $1, $2, '2025-01-01', '2030-01-01', $3, 'test', 'test')`,
    [id, siteId, SECRET],
  );
}

/** A part in the hospital store of `siteId` (tier 1). */
export async function seedHospitalStock(
  t: TestApi,
  siteId: string,
  partNumber: string,
  onHand: number,
): Promise<void> {
  await t.sql(
    `INSERT INTO part (part_number, name, class, default_tier, created_by)
     VALUES ($1, $1, 'common', 'hospital', 'test') ON CONFLICT DO NOTHING`,
    [partNumber],
  );
  await t.sql(
    `INSERT INTO store (id, name, tier, site_id, created_by)
     VALUES ($1, $1, 'hospital', $2, 'test') ON CONFLICT DO NOTHING`,
    [`h-${siteId}`, siteId],
  );
  await t.sql(
    `INSERT INTO stock (part_number, store_id, on_hand, reserved) VALUES ($1, $2, $3, 0)`,
    [partNumber, `h-${siteId}`, onHand],
  );
}

export interface Milestone {
  key: string;
  code: string;
  state: string;
  severity: string;
  startedAt: string | null;
  dueAt: string | null;
  metAt: string | null;
  breachedAt: string | null;
  atRisk: boolean;
}

export interface TicketBody {
  id: string;
  number: string;
  status: string;
  severity: string;
  occurrences: number;
  deduplicated?: boolean;
  breached: boolean;
  atRisk: boolean;
  nextDueAt: string | null;
  allowedEvents: string[];
  milestones: Milestone[];
  visits: { id: string; status: string; zone: string; engineer: string }[];
  reservations: { id: string; status: string; partNumber: string }[];
  events: {
    seq: number;
    type: string;
    at: string;
    actor: string;
    payload: Record<string, unknown>;
  }[];
}

export async function openTicket(t: TestApi, body: Record<string, unknown>): Promise<TicketBody> {
  const res = await t.request<TicketBody>('POST', '/api/v1/tickets', {
    token: t.tokens.engineer,
    body: { title: 'Dispenser down', category: 'device-unusable', siteId: 'st-anne', ...body },
  });
  if (res.status !== 201) throw new Error(`open: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function postEvent<T = TicketBody>(
  t: TestApi,
  id: string,
  body: Record<string, unknown>,
  token: string = t.tokens.engineer,
) {
  return t.request<T>('POST', `/api/v1/tickets/${id}/events`, { token, body });
}

/** Posts an event and fails loudly (with the answer) unless it was accepted. */
export async function step(
  t: TestApi,
  id: string,
  body: Record<string, unknown>,
): Promise<TicketBody> {
  const res = await postEvent(t, id, body);
  if (res.status !== 201)
    throw new Error(`${String(body['type'])}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Milestones as `key -> [state, dueAt]`, the shape the walk asserts. */
export function clocks(ticket: TicketBody): Record<string, [string, string | null]> {
  return Object.fromEntries(ticket.milestones.map((m) => [m.key, [m.state, m.dueAt]]));
}

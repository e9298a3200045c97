import type { TestApi } from '../../api/test/harness';
import { loadConfig } from '../src/config';
import type { BrokerConfig } from '../src/config';

/**
 * Shared set-up of the broker's integration specs: a site and devices registered through the
 * real API (their MQTT secrets come back once), and a broker config on ephemeral ports.
 */
export async function registerFleet(
  t: TestApi,
  siteId: string,
  devices: readonly (readonly [id: string, kind: string])[],
): Promise<Record<string, string>> {
  const site = await t.request('POST', '/api/v1/sites', {
    body: { id: siteId, name: siteId, zone: 'city', timezone: 'UTC', region: 'east' },
  });
  if (site.status !== 201)
    throw new Error(`site ${siteId}: ${site.status} ${JSON.stringify(site.body)}`);
  const secrets: Record<string, string> = {};
  for (const [id, kind] of devices) {
    const res = await t.request<{ secret: string }>('POST', '/api/v1/devices', {
      body: { id, kind, model: 'M-1', serial: `SN-${id}`, siteId, installDate: '2026-01-01' },
    });
    if (res.status !== 201)
      throw new Error(`register ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    secrets[id] = res.body.secret;
  }
  return secrets;
}

/**
 * A broker on ephemeral ports, silent, on the test's database. Specs that reconnect the same
 * devices often relax the connect guard-rails (rates, flapping bans); pass overrides to tighten.
 */
export function testBrokerConfig(t: TestApi, overrides: Record<string, string> = {}): BrokerConfig {
  return loadConfig({
    DATABASE_URL: t.databaseUrl,
    ORFLEET_BROKER_PORT: '0',
    ORFLEET_BROKER_WS_PORT: '0',
    ORFLEET_BROKER_OPS_PORT: '0',
    ORFLEET_BROKER_CONNECT_RATE_PER_CLIENT: '1000',
    ORFLEET_BROKER_CONNECT_BURST_PER_CLIENT: '1000',
    ORFLEET_BROKER_FLAP_MAX_CONNECTS: '1000',
    ORFLEET_LOG_LEVEL: 'silent',
    ...overrides,
  });
}

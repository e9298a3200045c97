import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startBroker } from '../../broker/src/broker';
import type { RunningBroker } from '../../broker/src/broker';
import { registerFleet, testBrokerConfig } from '../../broker/test/broker-test-kit';
import { startTestApi } from './harness';
import { until } from './until';

export { until };
import type { TestApi } from './harness';

/** A device of the simulated fleet: who it is, how often it speaks, and who hears it (BLE). */
export interface WorldDevice {
  readonly id: string;
  readonly kind: string;
  readonly siteId: string;
  readonly intervalS: number;
  readonly misses: number;
  /** BLE only: the base station whose sightings carry it. */
  readonly heardBy?: string;
}

export interface HealthTicket {
  readonly id: string;
  readonly severity: string;
  readonly fingerprint: string;
  readonly device_id: string | null;
  readonly site_id: string;
  readonly status: string;
  readonly occurrences: number;
  readonly category: string;
  readonly title: string;
  readonly created_at: Date;
}

const BROKER_ENV = { ORFLEET_BROKER_FLOOD_LIMITS: 'default=100000' };

/**
 * The health rules' integration world: sites and devices registered through the real API, our
 * broker (aedes on TCP), MQTT.js devices beating every 250 ms (BLE tags through their base
 * station's sightings) until a test stops them, and the rule loop in a second API process on the
 * same database. Intervals are shortened per device so scenarios take seconds.
 */
/**
 * Registers the devices site by site, with their short test intervals as per-device overrides;
 * returns each device's MQTT secret.
 */
export async function registerWorldFleet(
  registry: TestApi,
  devices: readonly WorldDevice[],
): Promise<Record<string, string>> {
  const bySite = new Map<string, [string, string][]>();
  for (const d of devices) bySite.set(d.siteId, [...(bySite.get(d.siteId) ?? []), [d.id, d.kind]]);
  const secrets: Record<string, string> = {};
  for (const [site, list] of bySite)
    Object.assign(secrets, await registerFleet(registry, site, list));
  for (const d of devices) {
    await registry.sql(
      `UPDATE device SET heartbeat_interval_s = $2, misses_before_missing = $3 WHERE id = $1`,
      [d.id, d.intervalS, d.misses],
    );
  }
  return secrets;
}

export class HealthWorld {
  readonly stopped = new Set<string>();
  rules: TestApi | undefined;
  private readonly clients = new Map<string, MqttClient>();
  private beat: NodeJS.Timeout | undefined;

  private constructor(
    readonly registry: TestApi,
    public broker: RunningBroker,
    private readonly devices: readonly WorldDevice[],
    private readonly rulesEnv: Record<string, string>,
  ) {}

  static async start(
    devices: readonly WorldDevice[],
    options: {
      rulesEnv?: Record<string, string>;
      seed?: (registry: TestApi) => Promise<void>;
    } = {},
  ): Promise<HealthWorld> {
    const registry = await startTestApi();
    const secrets = await registerWorldFleet(registry, devices);
    await options.seed?.(registry);
    const broker = await startBroker(testBrokerConfig(registry, BROKER_ENV));
    const world = new HealthWorld(registry, broker, devices, options.rulesEnv ?? {});
    for (const d of devices) {
      if (d.heardBy !== undefined) continue; // BLE: no MQTT session of its own
      world.clients.set(
        d.id,
        await connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, {
          protocolVersion: 4,
          clientId: d.id,
          username: d.id,
          password: secrets[d.id],
          reconnectPeriod: 500,
        }),
      );
    }
    world.beat = setInterval(() => world.beatOnce(), 250);
    await world.startRules();
    return world;
  }

  private beatOnce(): void {
    const ts = Date.now();
    for (const d of this.devices) {
      const client = this.clients.get(d.id);
      if (client === undefined || this.stopped.has(d.id) || !client.connected) continue;
      const base = `or/${d.siteId}/${d.kind}/${d.id}`;
      if (d.kind === 'base_station') {
        const heard = this.devices
          .filter((tag) => tag.heardBy === d.id && !this.stopped.has(tag.id))
          .map((tag) => ({ id: tag.id, rssi_dbm: -60 }));
        client.publish(`${base}/sightings`, JSON.stringify({ ts, devices: heard }), { qos: 0 });
      } else {
        client.publish(`${base}/heartbeat`, JSON.stringify({ ts }), { qos: 0 });
      }
    }
  }

  /** Starts the rule loop (an API process with the rules on) and waits until it heard everyone. */
  async startRules(): Promise<void> {
    this.rules = await startTestApi({
      databaseUrl: this.registry.databaseUrl,
      env: {
        ORFLEET_HEALTH_ENABLED: 'true',
        ORFLEET_HEALTH_MQTT_URL: `mqtt://127.0.0.1:${this.broker.mqttPort}`,
        ORFLEET_HEALTH_CORRELATION_MS: '7000',
        ORFLEET_HEALTH_TICK_MS: '100',
        ORFLEET_HEALTH_SNAPSHOT_MS: '300',
        ...this.rulesEnv,
      },
    });
    const speaking = this.devices.filter((d) => !this.stopped.has(d.id)).length;
    await until('the rules to hear the fleet', async () => {
      const rows = await this.registry.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM device_health WHERE last_seen_at > now() - interval '3 seconds'`,
      );
      return (rows[0]?.n ?? 0) >= speaking;
    });
  }

  /** The MQTT connection of a device with a session of its own. */
  client(id: string): MqttClient {
    const client = this.clients.get(id);
    if (client === undefined) throw new Error(`${id} has no MQTT session in this world`);
    return client;
  }

  async stopRules(): Promise<void> {
    await this.rules?.close();
    this.rules = undefined;
  }

  async restartBroker(outageMs: number): Promise<void> {
    const port = this.broker.mqttPort;
    await this.broker.close();
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    this.broker = await startBroker(
      testBrokerConfig(this.registry, { ...BROKER_ENV, ORFLEET_BROKER_PORT: String(port) }),
    );
  }

  tickets(): Promise<HealthTicket[]> {
    return this.registry.sql<HealthTicket>(
      `SELECT id, severity, fingerprint, device_id, site_id, status, occurrences, category, title, created_at
         FROM ticket WHERE source = 'health-rule' ORDER BY created_at`,
    );
  }

  async close(): Promise<void> {
    clearInterval(this.beat);
    await Promise.all(
      [...this.clients.values()].map((c) => c.endAsync(true).catch(() => undefined)),
    );
    await this.rules?.close();
    await this.broker.close();
    await this.registry.close();
  }
}

import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { removeCompiledPlatform, startApiProcess, startBrokerProcess } from './api-processes';
import type { ApiProcess, BrokerProcess } from './api-processes';
import { startTestApi } from './harness';
import type { TestApi } from './harness';
import { registerWorldFleet } from './health-world';
import type { HealthTicket, WorldDevice } from './health-world';

/** pg_try_advisory_lock key of the rule loop (health-rules.service.ts). */
const LEADER_LOCK = 0x6f72_666c;

/**
 * The health rules with every moving part a real process: the compiled broker and any number of
 * compiled API processes (rules on) on one test database, and MQTT.js devices beating every
 * 500 ms until a test stops them. Processes can be SIGKILLed and started again; the broker is
 * restarted on the same port. A registry API in this process (rules off) registers the fleet
 * and reads tickets.
 */
export class HealthProcessWorld {
  readonly stopped = new Set<string>();
  readonly apis: ApiProcess[] = [];
  private readonly clients = new Map<string, MqttClient>();
  private readonly beat: NodeJS.Timeout;

  private constructor(
    readonly registry: TestApi,
    public broker: BrokerProcess,
    private readonly devices: readonly WorldDevice[],
    private readonly rulesEnv: Record<string, string>,
  ) {
    this.beat = setInterval(() => this.beatOnce(), 500);
  }

  static async start(
    devices: readonly WorldDevice[],
    rulesEnv: Record<string, string>,
  ): Promise<HealthProcessWorld> {
    const registry = await startTestApi();
    try {
      const secrets = await registerWorldFleet(registry, devices);
      const broker = await startBrokerProcess(registry.databaseUrl);
      const world = new HealthProcessWorld(registry, broker, devices, rulesEnv);
      for (const d of devices) {
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
      return world;
    } catch (error) {
      await registry.close();
      throw error;
    }
  }

  private beatOnce(): void {
    const ts = Date.now();
    for (const d of this.devices) {
      const client = this.clients.get(d.id);
      if (client === undefined || this.stopped.has(d.id) || !client.connected) continue;
      client.publish(`or/${d.siteId}/${d.kind}/${d.id}/heartbeat`, JSON.stringify({ ts }), {
        qos: 0,
      });
    }
  }

  /** One more compiled API process with the rules on, listening to the broker. */
  async startApi(name: string): Promise<ApiProcess> {
    const api = await startApiProcess(name, this.registry.databaseUrl, {
      ORFLEET_HEALTH_MQTT_URL: `mqtt://127.0.0.1:${this.broker.mqttPort}`,
      ...this.rulesEnv,
    });
    this.apis.push(api);
    return api;
  }

  /** Stops the broker process outright (SIGKILL). */
  killBroker(): Promise<void> {
    return this.broker.kill();
  }

  /** A new broker process on the port of the last one (devices and rules reconnect to it). */
  async startBroker(): Promise<void> {
    this.broker = await startBrokerProcess(this.registry.databaseUrl, this.broker.mqttPort);
  }

  /** Database sessions holding the rule loop's advisory lock (this test database only). */
  async lockHolders(): Promise<number> {
    const rows = await this.registry.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LEADER_LOCK],
    );
    return rows[0]?.n ?? 0;
  }

  /** Devices whose snapshot says the rule loop heard them at or after `since`. */
  async heardSince(since: number, ids: readonly string[]): Promise<number> {
    const rows = await this.registry.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM device_health
        WHERE device_id = ANY($1) AND last_seen_at >= $2`,
      [ids, new Date(since)],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * When the engine of the owner that took the loop at `ledAt` started, epoch ms: the state
   * since of the devices it snapshotted as ok without a change of state (the engine stamps every
   * device with its start). Undefined until it wrote one.
   */
  async engineStartedAt(ledAt: number): Promise<number | undefined> {
    const rows = await this.registry.sql<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(state_since)) * 1000)::float8 AS ms FROM device_health
        WHERE updated_at >= $1 AND state = 'ok'`,
      [new Date(ledAt)],
    );
    return rows[0]?.ms ?? undefined;
  }

  /** A device's snapshot row: state and since when (epoch ms). */
  async snapshotOf(id: string): Promise<{ state: string; since: number } | undefined> {
    const rows = await this.registry.sql<{ state: string; since: number }>(
      `SELECT state, (extract(epoch FROM state_since) * 1000)::float8 AS since
         FROM device_health WHERE device_id = $1`,
      [id],
    );
    return rows[0];
  }

  /** Every id that is not stopped. */
  speaking(): string[] {
    return this.devices.map((d) => d.id).filter((id) => !this.stopped.has(id));
  }

  tickets(): Promise<(HealthTicket & { description: string })[]> {
    return this.registry.sql(
      `SELECT id, severity, fingerprint, device_id, site_id, status, occurrences, category, title,
              description, created_at
         FROM ticket WHERE source = 'health-rule' ORDER BY created_at`,
    );
  }

  /** Fingerprints held by more than one ticket, whatever their status (never deleted). */
  async duplicates(): Promise<string[]> {
    const rows = await this.registry.sql<{ fingerprint: string }>(
      `SELECT fingerprint FROM ticket WHERE fingerprint IS NOT NULL
        GROUP BY fingerprint HAVING count(*) > 1`,
    );
    return rows.map((r) => r.fingerprint);
  }

  async close(): Promise<void> {
    clearInterval(this.beat);
    await Promise.all(
      [...this.clients.values()].map((c) => c.endAsync(true).catch(() => undefined)),
    );
    await Promise.all(this.apis.map((api) => api.stop()));
    await this.broker.stop();
    await this.registry.close();
    removeCompiledPlatform();
  }
}

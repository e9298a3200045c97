import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { buildTopic, decodeMessage } from '@orfleet/devices';
import type { Channel, DeviceAddress, DeviceKind } from '@orfleet/devices';

/** One device of the acceptance fleet, as registered (overrides included) and as it behaves. */
export interface FleetDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly siteId: string;
  readonly model: string;
  /** The per-device heartbeat override the registry gets (short, so scenarios take seconds). */
  readonly heartbeatIntervalS: number;
  readonly missesBeforeMissing: number;
  /** BLE tags: the base station whose sightings carry it (its home, `parentId`). */
  readonly heardBy?: string;
}

/** Telemetry each kind sends on a normal day; `temp_c` in every one (the points count uses it). */
const TELEMETRY: Partial<Record<DeviceKind, Record<string, number | string | boolean>>> = {
  // dispensers report their motor's current; a stall comes on the fault channel
  gown_dispenser: { motor_current_ma: 410, stock_level: 120, temp_c: 36.5 },
  shoe_dispenser: { motor_current_ma: 380, stock_level: 90, temp_c: 35.5 },
  recycler: { motor_state: 'ok', bin_fill_pct: 40, temp_c: 33 },
  changing_cabinet: { doors_open: 1, lockers_in_use: 12, temp_c: 24 },
  access_gate: { gate_state: 'closed', passages_total: 1200, temp_c: 30 },
  server: { cpu_pct: 22, mem_pct: 48, temp_c: 41 },
  network_switch: { ports_up: 20, ports_total: 24, temp_c: 44 },
  base_station: { cpu_pct: 12, ble_devices_heard: 3, temp_c: 38 },
};

interface Sent {
  readonly deviceId: string;
  readonly channel: Channel;
  readonly ts: number;
}

/**
 * The devices of the acceptance scenarios, speaking the documented protocol (docs/device-protocol)
 * over MQTT.js on TCP: one session per MQTT device (id and secret from the registry), QoS 1, a
 * heartbeat every second and telemetry every other second; base stations report the BLE tags they
 * hear in `sightings`. Every payload is checked with the protocol's own decoder before it is
 * sent, and every message the broker acknowledged (PUBACK) is remembered, so a scenario can
 * count what must be in InfluxDB.
 */
export class Fleet {
  private readonly clients = new Map<string, MqttClient>();
  private readonly silent = new Set<string>();
  private readonly lastTs = new Map<string, number>();
  private readonly seq = new Map<string, number>();
  private readonly overrides = new Map<string, Record<string, number | string | boolean>>();
  private readonly acked: Sent[] = [];
  /** Publishes sent and not yet acknowledged (nor failed), by publish number: their `ts`. */
  private readonly pending = new Map<number, number>();
  private published = 0;
  private failed = 0;
  private ticks = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly mqttUrl: string,
    readonly devices: readonly FleetDevice[],
    private readonly secrets: Readonly<Record<string, string>>,
  ) {}

  /** Connects every MQTT device and starts speaking. */
  async start(): Promise<void> {
    for (const device of this.devices) {
      if (device.heardBy === undefined) await this.connect(device);
    }
    this.timer = setInterval(() => this.tick(), 1_000);
  }

  /** Publishes acknowledged by the broker, by channel (and device), whose `ts` lies in [from, to). */
  acknowledged(channel: Channel, from: number, to = Infinity, deviceId?: string): number {
    return this.acked.filter(
      (m) =>
        m.channel === channel &&
        m.ts >= from &&
        m.ts < to &&
        (deviceId === undefined || m.deviceId === deviceId),
    ).length;
  }

  /** Publishes sent and not yet acknowledged (nor failed) whose `ts` is before `to`. */
  inFlight(to = Infinity): number {
    let n = 0;
    for (const ts of this.pending.values()) if (ts < to) n++;
    return n;
  }

  /** Publishes MQTT.js gave up on (none on a healthy day). */
  get failures(): number {
    return this.failed;
  }

  /** The device goes dark: no more messages, and its connection drops (power or network lost). */
  async silence(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      this.silent.add(id);
      const client = this.clients.get(id);
      this.clients.delete(id);
      await client?.endAsync(true);
    }
  }

  /** The device is back: it reconnects and speaks again. */
  async revive(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      this.silent.delete(id);
      const device = this.device(id);
      if (device.heardBy === undefined && !this.clients.has(id)) await this.connect(device);
    }
  }

  /** Replaces telemetry fields of one device from now on (e.g. a stalled motor). */
  setTelemetry(id: string, fields: Record<string, number | string | boolean>): void {
    this.overrides.set(id, { ...this.overrides.get(id), ...fields });
  }

  /** One message now, acknowledged (QoS 1) before this resolves. */
  async send(id: string, channel: Channel, payload: Record<string, unknown>): Promise<number> {
    const client = this.clients.get(id);
    if (client === undefined) throw new Error(`${id} is not connected`);
    const ts = this.nextTs(id);
    await this.publish(client, this.device(id), channel, { ...payload, ts }, ts);
    return ts;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.clients.values()].map((c) => c.endAsync(true).catch(() => {})));
    this.clients.clear();
  }

  private device(id: string): FleetDevice {
    const device = this.devices.find((d) => d.id === id);
    if (device === undefined) throw new Error(`no device ${id} in the fleet`);
    return device;
  }

  private async connect(device: FleetDevice): Promise<void> {
    const client = await connectAsync(this.mqttUrl, {
      protocolVersion: 4,
      clientId: device.id,
      username: device.id,
      password: this.secrets[device.id],
      keepalive: 30,
      // a restarted broker is found again within a second or so
      reconnectPeriod: 500,
      connectTimeout: 10_000,
    });
    this.clients.set(device.id, client);
  }

  /** Device clocks: strictly increasing per device, so no two points of a series share a time. */
  private nextTs(id: string): number {
    const ts = Math.max(Date.now(), (this.lastTs.get(id) ?? 0) + 1);
    this.lastTs.set(id, ts);
    return ts;
  }

  private tick(): void {
    this.ticks++;
    for (const device of this.devices) {
      const client = this.clients.get(device.id);
      if (client === undefined || this.silent.has(device.id) || !client.connected) continue;
      const seq = (this.seq.get(device.id) ?? 0) + 1;
      this.seq.set(device.id, seq);
      let ts = this.nextTs(device.id);
      void this.publish(client, device, 'heartbeat', { ts, seq, fw: '2.3.1' }, ts).catch(
        () => undefined,
      );
      const telemetry = TELEMETRY[device.kind];
      if (telemetry !== undefined && this.ticks % 2 === 0) {
        ts = this.nextTs(device.id);
        const payload = { ...telemetry, ...this.overrides.get(device.id), ts };
        void this.publish(client, device, 'telemetry', payload, ts).catch(() => undefined);
      }
      if (device.kind === 'base_station') {
        const heard = this.devices
          .filter((tag) => tag.heardBy === device.id && !this.silent.has(tag.id))
          .map((tag) => ({ id: tag.id, rssi_dbm: -61, battery_pct: 88 }));
        if (heard.length > 0) {
          ts = this.nextTs(device.id);
          const payload = { ts, devices: heard };
          void this.publish(client, device, 'sightings', payload, ts).catch(() => undefined);
        }
      }
    }
  }

  private publish(
    client: MqttClient,
    device: FleetDevice,
    channel: Channel,
    payload: Record<string, unknown>,
    ts: number,
  ): Promise<void> {
    const address: DeviceAddress = {
      siteId: device.siteId,
      kind: device.kind,
      deviceId: device.id,
    };
    const topic = buildTopic(address, channel);
    const body = JSON.stringify(payload);
    // a mistake in this driver must fail the suite here, not vanish into the dead-letter file
    const decoded = decodeMessage(topic, body, ts);
    if (!decoded.ok) {
      throw new Error(`${topic} ${body}: refused by the protocol: ${JSON.stringify(decoded)}`);
    }
    const number = ++this.published;
    this.pending.set(number, ts);
    return new Promise((resolve, reject) => {
      client.publish(topic, body, { qos: 1 }, (error) => {
        this.pending.delete(number);
        if (error) {
          this.failed++;
          reject(error);
          return;
        }
        this.acked.push({ deviceId: device.id, channel, ts });
        resolve();
      });
    });
  }
}

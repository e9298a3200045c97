import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { DEVICE_CATALOG, buildTopic } from '@orfleet/devices';
import { advance, initialState, localMinuteOfDay, orActivity, sightings } from './behaviour.rules';
import type { DeviceState, Outgoing } from './behaviour.rules';
import { applyToDevice } from './faults.rules';
import type { FaultCommand } from './faults.rules';
import type { Fleet, FleetDevice } from './fleet.rules';

export interface RunnerOptions {
  readonly mqttUrl: string;
  readonly connectPerS: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
  /** Called when the broker refuses a device's secret: a new one from the API. */
  readonly rotateSecret: (deviceId: string) => Promise<string>;
  /** Behaviour tick (ms); 250 by default. */
  readonly tickMs?: number;
}

export interface RunnerStats {
  readonly connected: number;
  readonly expected: number;
  readonly mqttDevices: number;
  readonly published: number;
  readonly publishErrors: number;
  readonly faultsInjected: number;
}

/** A flapping device drops its connection this often (the broker bans past 15 connects a minute). */
const FLAP_EVERY_MS = 3_000;

/**
 * Runs a fleet: one MQTT.js session per MQTT device over TCP (many per process), connects paced
 * under the broker's per-address rate limit, a behaviour tick that publishes what the pure models
 * say is due, base stations publishing their tags' sightings, and the faults injected.
 */
export class FleetRunner {
  readonly states = new Map<string, DeviceState>();
  private readonly mqtt: DeviceState[] = [];
  private readonly heardBy = new Map<string, DeviceState[]>();
  private readonly clients = new Map<string, MqttClient>();
  private readonly rotated = new Set<string>();
  private readonly queue: string[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private published = 0;
  private publishErrors = 0;
  private faultsInjected = 0;
  private stopped = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly secrets: Record<string, string>,
    private readonly options: RunnerOptions,
  ) {
    const now = options.now();
    for (const device of fleet.devices) {
      const state = initialState(device, fleet.scenario.seed, now);
      this.states.set(device.id, state);
      if (DEVICE_CATALOG[device.kind].transport === 'mqtt') this.mqtt.push(state);
    }
    for (const [stationId, tags] of fleet.tagsHeardBy) {
      this.heardBy.set(
        stationId,
        tags.map((t) => this.states.get(t.id) as DeviceState),
      );
    }
  }

  start(): void {
    this.queue.push(...this.mqtt.map((s) => s.device.id));
    const perSlot = Math.max(1, Math.round(this.options.connectPerS / 10));
    this.timers.push(
      setInterval(() => {
        for (let i = 0; i < perSlot && this.queue.length > 0; i++)
          this.open(this.queue.shift() as string);
      }, 100),
      setInterval(() => this.tick(), this.options.tickMs ?? 250),
      setInterval(() => this.flap(), FLAP_EVERY_MS),
    );
  }

  stats(): RunnerStats {
    let connected = 0;
    for (const client of this.clients.values()) if (client.connected) connected++;
    return {
      connected,
      expected: this.mqtt.filter((s) => !s.silent).length,
      mqttDevices: this.mqtt.length,
      published: this.published,
      publishErrors: this.publishErrors,
      faultsInjected: this.faultsInjected,
    };
  }

  /** Applies a fault command; answers a line saying what happened. */
  command(command: Exclude<FaultCommand, { type: 'help' }>): string {
    const now = this.options.now();
    if (command.type !== 'revive' && command.type !== 'revive-site') this.faultsInjected++;
    if (command.type === 'site-down' || command.type === 'revive-site') {
      const down = command.type === 'site-down';
      let n = 0;
      for (const state of this.states.values()) {
        if (state.device.siteId !== command.siteId) continue;
        n++;
        if (down) {
          state.silent = true;
          this.close(state.device.id);
        } else {
          this.send(applyToDevice(state, { type: 'revive', deviceId: state.device.id }, now));
          this.reopen(state.device);
        }
      }
      return `${command.siteId}: ${down ? 'network down' : 'back up'} (${n} devices)`;
    }
    const state = this.states.get(command.deviceId);
    if (state === undefined) return `unknown device ${command.deviceId}`;
    this.send(applyToDevice(state, command, now));
    if (command.type === 'kill' || command.type === 'kill-station') this.close(command.deviceId);
    if (command.type === 'revive') this.reopen(state.device);
    return `${command.type} ${command.deviceId}${command.type === 'skew' ? ` ${command.seconds} s` : ''}`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all(
      [...this.clients.values()].map((c) => c.endAsync(true).catch(() => undefined)),
    );
    this.clients.clear();
  }

  private reopen(device: FleetDevice): void {
    if (DEVICE_CATALOG[device.kind].transport !== 'mqtt') return;
    if (!this.clients.has(device.id) && !this.queue.includes(device.id)) this.queue.push(device.id);
  }

  private close(deviceId: string): void {
    const client = this.clients.get(deviceId);
    this.clients.delete(deviceId);
    const queued = this.queue.indexOf(deviceId);
    if (queued >= 0) this.queue.splice(queued, 1);
    // a power cut: no DISCONNECT, the socket just goes (the broker sees it at keep-alive or RST)
    client?.end(true);
  }

  private open(deviceId: string): void {
    const state = this.states.get(deviceId);
    const secret = this.secrets[deviceId];
    if (this.stopped || state === undefined || state.silent || this.clients.has(deviceId)) return;
    if (secret === undefined) {
      this.options.log(`${deviceId}: no secret, not connecting`);
      return;
    }
    const client = connect(this.options.mqttUrl, {
      protocolVersion: 4,
      clientId: deviceId,
      username: deviceId,
      password: secret,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 1_000 + Math.floor(state.rng.between(0, 2_000)),
      connectTimeout: 15_000,
    });
    client.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      // CONNACK 4: bad user name or password: the registry no longer knows this secret
      if (code === 4 && !this.rotated.has(deviceId)) {
        this.rotated.add(deviceId);
        this.options
          .rotateSecret(deviceId)
          .then((fresh) => {
            this.secrets[deviceId] = fresh;
            client.options.password = fresh;
            this.options.log(`${deviceId}: secret refused by the broker, rotated through the API`);
          })
          .catch((e: unknown) =>
            this.options.log(`${deviceId}: could not rotate its secret: ${String(e)}`),
          );
      }
    });
    this.clients.set(deviceId, client);
  }

  private flap(): void {
    for (const state of this.mqtt) {
      if (!state.flapping) continue;
      const client = this.clients.get(state.device.id);
      if (client?.connected) client.stream.destroy(); // MQTT.js reconnects after its period
    }
  }

  private tick(): void {
    const now = this.options.now();
    const activity = new Map<string, number>();
    for (const [siteId, site] of this.fleet.sites) {
      activity.set(siteId, orActivity(localMinuteOfDay(now, site.timezone), site.schedule));
    }
    for (const state of this.mqtt) {
      const messages = advance(state, now, activity.get(state.device.siteId) ?? 0);
      if (state.device.kind === 'base_station') {
        messages.push(...sightings(state, this.heardBy.get(state.device.id) ?? [], now));
      }
      this.send(messages);
    }
  }

  private send(messages: readonly Outgoing[]): void {
    for (const m of messages) {
      const state = this.states.get(m.deviceId);
      const client = this.clients.get(m.deviceId);
      if (state === undefined || client === undefined || !client.connected) continue;
      const d = state.device;
      const topic = buildTopic({ siteId: d.siteId, kind: d.kind, deviceId: d.id }, m.channel);
      client.publish(topic, m.payload, { qos: 1 }, (error) => {
        if (error) this.publishErrors++;
        else this.published++;
      });
    }
  }
}

import { DEVICE_CATALOG, FAULT_CATALOG, isDeviceKind } from '@orfleet/devices';
import type { DeviceKind, FaultCode } from '@orfleet/devices';
import type { Severity } from '@orfleet/sla';

/**
 * The device-health rules, pure: messages and the clock in, ticket decisions out. No I/O, no
 * timers: the caller feeds `message`/`sighting`/`fault`/`telemetry` as they arrive and calls
 * `tick(now)` a few times a second, then takes the actions (docs/health-rules.md).
 *
 * Scale: state is one slot per device in parallel arrays (no object per device), deadlines sit
 * in a bucketed timer wheel of 1-second slots holding at most one entry per device (an entry is
 * re-filed when its device was seen meanwhile), so a tick touches only the devices due in it.
 */

export interface HealthDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly siteId: string;
  /** Per-device overrides of the kind's heartbeat interval and misses (contract table). */
  readonly intervalS?: number;
  readonly misses?: number;
}

export interface HealthEngineConfig {
  /**
   * How long a newly missing device waits before its ticket is decided, so the devices of one
   * site that fall silent together (their deadlines spread over one interval) are seen together
   * and get one site ticket. Must exceed `platformQuietFactor` × the shortest interval.
   */
  readonly correlationMs: number;
  /** Extra wait before a missing-device ticket, by severity (red 0: the contract clock runs). */
  readonly holdDownMs: Readonly<Record<Severity, number>>;
  /** Share of a site's devices missing within one correlation window that makes it a site ticket. */
  readonly siteShare: number;
  /** ...and at least this many devices. */
  readonly siteMinDevices: number;
  /** No message at all for this many times the shortest interval: the pipeline is down. */
  readonly platformQuietFactor: number;
  /** Devices that must have been heard shortly before a silence for it to count as the platform's. */
  readonly platformMinDevices: number;
  /** Consecutive telemetry reports with `motor_state` not `ok` that make a motor fault. */
  readonly motorBadReports: number;
  /** `battery_pct` below this opens a preventive (green) ticket; re-armed 5 points above. */
  readonly batteryLowPct: number;
}

export const DEFAULT_HEALTH_CONFIG: HealthEngineConfig = {
  correlationMs: 60_000,
  holdDownMs: { red: 0, yellow: 0, green: 0 },
  siteShare: 0.3,
  siteMinDevices: 10,
  platformQuietFactor: 3,
  platformMinDevices: 3,
  motorBadReports: 2,
  batteryLowPct: 20,
};

export type HealthRule = 'missing' | 'fault' | 'motor' | 'battery' | 'site' | 'platform';
export const HEALTH_RULES: readonly HealthRule[] = [
  'missing',
  'fault',
  'motor',
  'battery',
  'site',
  'platform',
];

/**
 * Why a device past its deadline (or a ticket) did not become a ticket of its own: a maintenance
 * window; covered by a site ticket or behind a missing base station (correlated); the pipeline was
 * down (platform_quiet); already overdue by the snapshot at a start (warm_up); heard again inside
 * its correlation window or hold-down (blip).
 */
export const SUPPRESS_REASONS = [
  'maintenance',
  'correlated',
  'platform_quiet',
  'warm_up',
  'blip',
] as const;
export type SuppressReason = (typeof SUPPRESS_REASONS)[number];

/** Tracked (non-retired) devices by state; `pending` is past its deadline, ticket undecided. */
export interface HealthStateCounts {
  ok: number;
  pending: number;
  missing: number;
  unknown: number;
}
export type DeviceHealthState = 'ok' | 'missing' | 'unknown';

export type HealthAction =
  | {
      readonly kind: 'open';
      readonly rule: HealthRule;
      readonly fingerprint: string;
      readonly severity: Severity;
      readonly title: string;
      readonly category: string;
      readonly deviceId?: string;
      readonly siteId?: string;
      readonly parts: readonly { readonly partNumber: string; readonly qty: number }[];
      readonly evidence: Readonly<Record<string, unknown>>;
      readonly at: number;
    }
  | {
      /** The device (or site, or platform) behind an open ticket is heard again. */
      readonly kind: 'recovered';
      readonly fingerprint: string;
      readonly deviceId?: string;
      readonly siteId?: string;
      readonly at: number;
      readonly evidence: Readonly<Record<string, unknown>>;
    }
  | {
      /** A device cleared the fault it had raised. */
      readonly kind: 'cleared';
      readonly fingerprint: string;
      readonly deviceId: string;
      readonly code: FaultCode;
      readonly at: number;
    }
  | {
      /** Something to add to an open ticket (BLE children turned unknown behind a base station). */
      readonly kind: 'annotate';
      readonly fingerprint: string;
      readonly text: string;
      readonly evidence: Readonly<Record<string, unknown>>;
      readonly at: number;
    }
  | {
      /**
       * Not a repair: a logistics notice (an empty dispenser needs refilling), raised or, with
       * `notice-cleared`, over (stock above empty again, or the device cleared the code).
       */
      readonly kind: 'notice' | 'notice-cleared';
      readonly deviceId: string;
      readonly siteId: string;
      readonly code: FaultCode;
      readonly at: number;
    }
  | {
      /** A ticket a maintenance window kept from opening (for its audit). */
      readonly kind: 'suppressed';
      readonly windowId: string;
      readonly rule: HealthRule;
      readonly fingerprint: string;
      readonly deviceId?: string;
      readonly siteId: string;
      readonly at: number;
    };

/** A maintenance window covering a device (or its site) at an instant, if any: its id. */
export type MaintenanceLookup = (
  deviceId: string,
  siteId: string,
  at: number,
) => string | undefined;

export interface RestoredHealth {
  readonly lastSeenAt: number | null;
  readonly state: DeviceHealthState;
  /**
   * For a device restored `missing`: whether a ticket covering it (its own or its site's) is
   * still open. The snapshot says `missing` from the deadline on, before the correlation window
   * decided a ticket; `false` (the owner stopped inside the window) has it detected again after
   * the warm-up. Unset: taken as covered.
   */
  readonly ticketOpen?: boolean;
  /**
   * For a device restored `missing`: the open ticket covering it is its site's (a site storm),
   * not its own. It rejoins that storm, so its recovery (the last one's) is noted on the site
   * ticket, and more devices of the site going silent are listed there.
   */
  readonly siteTicketOpen?: boolean;
}

export interface HealthSnapshotRow {
  readonly deviceId: string;
  readonly lastSeenAt: number | null;
  readonly state: DeviceHealthState;
  readonly stateSince: number;
  readonly missedBeats: number;
}

// per-device state codes (Uint8-sized)
const OK = 0;
/** Past its deadline, ticket not decided yet (correlation window, hold-down). */
const PENDING = 1;
const MISSING = 2;
const UNKNOWN = 3;
const STATE_NAMES: readonly DeviceHealthState[] = ['ok', 'missing', 'missing', 'unknown'];
const NONE = -1;
/** Detection lags kept between two takes (the loop takes them every tick). */
const MAX_PENDING_LAGS = 100_000;
/** BLE devices remember the base stations that heard them most recently. */
const GATEWAYS = 3;

const KIND_LABEL = (kind: DeviceKind) => DEVICE_CATALOG[kind].label;

interface Storm {
  /** Device slots covered by the site ticket, not yet heard again. */
  readonly outstanding: Set<number>;
  readonly openedAt: number;
}

export class HealthEngine {
  private readonly ids: string[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly kinds: DeviceKind[] = [];
  private readonly siteIds: string[] = [];
  private readonly spanMs: number[] = [];
  /** Heartbeat interval (the kind's or the device's override): the unit of missed beats. */
  private readonly intervalMs: number[] = [];
  private readonly lastSeen: number[] = [];
  private readonly deadline: number[] = [];
  /** Wheel second the device's live entry sits in, or NONE; an entry of another second is stale. */
  private readonly filedAt: number[] = [];
  private readonly state: number[] = [];
  private readonly stateSince: number[] = [];
  private readonly retired: boolean[] = [];
  /** Slots of a covering site storm's device (no ticket of its own). */
  private readonly inStorm: boolean[] = [];
  private readonly motorBad: number[] = [];
  private readonly batteryLow: boolean[] = [];
  private readonly stockEmpty: boolean[] = [];
  // BLE: GATEWAYS (slot, heard at) pairs per device, flat
  private readonly gatewaySlot: number[] = [];
  private readonly gatewayHeard: number[] = [];

  /** Timer wheel: second → slots due then. */
  private readonly wheel = new Map<number, number[]>();
  private wheelCursor: number;
  /** Pending decisions, FIFO per delay (the delay depends only on the severity). */
  private readonly decisions = new Map<number, { at: number; slot: number }[]>();
  /** Per site: recent devices that went missing (slot, since), for storm detection. */
  private readonly siteMissing = new Map<string, { slot: number; since: number }[]>();
  private readonly siteSize = new Map<string, number>();
  private readonly storms = new Map<string, Storm>();
  /** Base station slot → BLE ids turned unknown behind it, to annotate its ticket. */
  private readonly unknownBehind = new Map<number, string[]>();

  private readonly dirty = new Set<number>();
  private actions: HealthAction[] = [];
  /** ms from deadline to detection, per device found past it, since the last take. */
  private detectionLags: number[] = [];
  private readonly suppressedCounts: Record<SuppressReason, number> = {
    maintenance: 0,
    correlated: 0,
    platform_quiet: 0,
    warm_up: 0,
    blip: 0,
  };
  private lastMessageAt: number;
  private messagesSinceStart = 0;
  private quiet = false;
  /** Shortest span and interval of the tracked devices (the platform-silence threshold). */
  private minSpanMs = 30_000;
  private minIntervalMs = 10_000;
  /** Devices added, changed or retired since the shortest interval was last computed. */
  private registryChanged = true;
  /** Base stations heard again after being missing since the last tick (slot → when). */
  private readonly stationsBack = new Map<number, number>();
  /** Per tick: whether a base station of the site is missing (restored unknown tags). */
  private readonly siteStationMissing = new Map<string, boolean>();

  constructor(
    private readonly config: HealthEngineConfig,
    devices: readonly HealthDevice[],
    private readonly startedAt: number,
    restored: ReadonlyMap<string, RestoredHealth> = new Map(),
    private readonly maintenance: MaintenanceLookup = () => undefined,
  ) {
    this.wheelCursor = Math.floor(startedAt / 1_000);
    this.lastMessageAt = startedAt;
    for (const device of devices) this.upsertDevice(device, restored.get(device.id));
    this.shortest();
  }

  /** Recomputes the shortest interval and span after the registry changed (one pass). */
  private shortest(): void {
    if (!this.registryChanged) return;
    this.registryChanged = false;
    let minInterval = Infinity;
    let minSpan = Infinity;
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (this.retired[slot]) continue;
      minInterval = Math.min(minInterval, this.intervalMs[slot] as number);
      minSpan = Math.min(minSpan, this.spanMs[slot] as number);
    }
    this.minIntervalMs = Number.isFinite(minInterval) ? minInterval : 10_000;
    this.minSpanMs = Number.isFinite(minSpan) ? minSpan : 30_000;
  }

  private spanOf(device: HealthDevice): { intervalMs: number; span: number } {
    const spec = DEVICE_CATALOG[device.kind];
    const intervalMs = (device.intervalS ?? spec.heartbeatIntervalS) * 1_000;
    return { intervalMs, span: intervalMs * (device.misses ?? spec.missesBeforeMissing) };
  }

  /** Adds a device or applies a change (kind, site, overrides). Restart safety: see `deadline`. */
  upsertDevice(device: HealthDevice, restored?: RestoredHealth): void {
    const existing = this.slotOf.get(device.id);
    const { intervalMs, span } = this.spanOf(device);
    this.registryChanged = true;
    if (existing !== undefined) {
      if (this.retired[existing]) {
        // reactivated: it counts in its site again (retiring took it out)
        this.siteSize.set(device.siteId, (this.siteSize.get(device.siteId) ?? 0) + 1);
      } else if (this.siteIds[existing] !== device.siteId) {
        this.siteSize.set(
          this.siteIds[existing] as string,
          (this.siteSize.get(this.siteIds[existing] as string) ?? 1) - 1,
        );
        this.siteSize.set(device.siteId, (this.siteSize.get(device.siteId) ?? 0) + 1);
      }
      this.kinds[existing] = device.kind;
      this.siteIds[existing] = device.siteId;
      const previousSpan = this.spanMs[existing] as number;
      this.spanMs[existing] = span;
      this.intervalMs[existing] = intervalMs;
      this.retired[existing] = false;
      if (this.state[existing] !== OK) return;
      // a changed interval or misses counts from the same base (last seen, the start's warm-up,
      // the platform's recovery); an earlier deadline is filed again at its earlier second, and
      // the entry at the later one goes stale
      const deadline = (this.deadline[existing] as number) - previousSpan + span;
      this.deadline[existing] = deadline;
      const filedAt = this.filedAt[existing] as number;
      if (filedAt === NONE || Math.floor(deadline / 1_000) < filedAt) this.file(existing);
      return;
    }
    const slot = this.ids.length;
    this.ids.push(device.id);
    this.slotOf.set(device.id, slot);
    this.kinds.push(device.kind);
    this.siteIds.push(device.siteId);
    this.siteSize.set(device.siteId, (this.siteSize.get(device.siteId) ?? 0) + 1);
    this.spanMs.push(span);
    this.intervalMs.push(intervalMs);
    const seen = restored?.lastSeenAt ?? null;
    this.lastSeen.push(seen ?? 0);
    // warm-up (Zabbix nodata): nobody is missing before a full span since the start, whatever
    // the snapshot says; a device already missing before the restart, its ticket open, stays
    // missing; a tag restored unknown is checked again at the same deadline
    this.deadline.push(Math.max((seen ?? 0) + span, this.startedAt + span));
    this.filedAt.push(NONE);
    const wasMissing = restored?.state === 'missing' && restored.ticketOpen !== false;
    this.state.push(wasMissing ? MISSING : restored?.state === 'unknown' ? UNKNOWN : OK);
    if (this.state[slot] === OK && seen !== null && seen + span < this.startedAt) {
      this.suppressedCounts.warm_up++; // overdue by the snapshot: given a full span from the start
    }
    this.stateSince.push(this.startedAt);
    this.retired.push(false);
    this.inStorm.push(wasMissing && restored?.siteTicketOpen === true);
    if (this.inStorm[slot]) {
      const storm = this.storms.get(device.siteId) ?? {
        outstanding: new Set<number>(),
        openedAt: this.startedAt,
      };
      storm.outstanding.add(slot);
      this.storms.set(device.siteId, storm);
    }
    this.motorBad.push(0);
    this.batteryLow.push(false);
    this.stockEmpty.push(false);
    for (let k = 0; k < GATEWAYS; k++) {
      this.gatewaySlot.push(NONE);
      this.gatewayHeard.push(0);
    }
    if (!wasMissing) this.file(slot);
  }

  /**
   * A notice still open in the records (from before a start or a fail-over): the next report of
   * stock above empty clears it, and an empty one only counts on it.
   */
  noticeOpen(deviceId: string, code: FaultCode): void {
    const slot = this.slotOf.get(deviceId);
    if (slot !== undefined && code === 'STOCK_EMPTY') this.stockEmpty[slot] = true;
  }

  /**
   * A retired or deleted device: no longer tracked for tickets. It leaves its site's outage too:
   * when it was the last one not heard again, the site ticket notes the recovery (`at`).
   */
  removeDevice(id: string, at: number): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined || this.retired[slot]) return;
    this.retired[slot] = true;
    this.registryChanged = true;
    const site = this.siteIds[slot] as string;
    this.siteSize.set(site, (this.siteSize.get(site) ?? 1) - 1);
    if (this.inStorm[slot]) this.leaveStorm(slot, at, { lastDevice: id, retired: true });
    // the tags left unknown behind a retired base station are checked again, as if it were back
    if (this.kinds[slot] === 'base_station' && this.state[slot] !== OK) {
      this.stationsBack.set(slot, at);
    }
  }

  /** A device of a site storm heard again or retired; the last one notes the recovery. */
  private leaveStorm(slot: number, at: number, evidence: Readonly<Record<string, unknown>>): void {
    this.inStorm[slot] = false;
    const site = this.siteIds[slot] as string;
    const storm = this.storms.get(site);
    storm?.outstanding.delete(slot);
    if (storm !== undefined && storm.outstanding.size === 0) {
      this.storms.delete(site);
      this.actions.push({
        kind: 'recovered',
        fingerprint: `site:${site}`,
        siteId: site,
        at,
        evidence,
      });
    }
  }

  get trackedDevices(): number {
    return this.ids.length;
  }

  private lagged(ms: number): void {
    // bounded: a caller that never takes them must not grow the engine
    if (this.detectionLags.length < MAX_PENDING_LAGS) this.detectionLags.push(ms);
  }

  /** Detection lags (ms after the deadline) of devices found past it since the last call. */
  takeDetectionLags(): number[] {
    const taken = this.detectionLags;
    this.detectionLags = [];
    return taken;
  }

  /** Cumulative counts of what the rules kept from becoming a ticket, by reason. */
  get suppressed(): Readonly<Record<SuppressReason, number>> {
    return this.suppressedCounts;
  }

  /** Tracked devices by state: one pass over the state array (for a metrics scrape). */
  countByState(): HealthStateCounts {
    const counts: HealthStateCounts = { ok: 0, pending: 0, missing: 0, unknown: 0 };
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (this.retired[slot]) continue;
      const state = this.state[slot];
      if (state === OK) counts.ok++;
      else if (state === PENDING) counts.pending++;
      else if (state === MISSING) counts.missing++;
      else counts.unknown++;
    }
    return counts;
  }

  get platformQuiet(): boolean {
    return this.quiet;
  }

  stateOf(id: string): DeviceHealthState | undefined {
    const slot = this.slotOf.get(id);
    return slot === undefined ? undefined : STATE_NAMES[this.state[slot] as number];
  }

  /** Actions decided since the last call. */
  takeActions(): HealthAction[] {
    const taken = this.actions;
    this.actions = [];
    return taken;
  }

  /** Devices whose state or last-seen changed since the last call, for the snapshot. */
  takeSnapshot(): HealthSnapshotRow[] {
    const rows: HealthSnapshotRow[] = [];
    for (const slot of this.dirty) {
      const seen = this.lastSeen[slot] as number;
      const state = this.state[slot] as number;
      rows.push({
        deviceId: this.ids[slot] as string,
        lastSeenAt: seen === 0 ? null : seen,
        state: STATE_NAMES[state] as DeviceHealthState,
        stateSince: this.stateSince[slot] as number,
        missedBeats:
          state === OK || seen === 0
            ? 0
            : Math.floor(
                ((this.stateSince[slot] as number) - seen) / (this.intervalMs[slot] as number),
              ),
      });
    }
    this.dirty.clear();
    return rows;
  }

  // ---- inputs -----------------------------------------------------------------------------

  /** Any message a device sent itself (heartbeat, telemetry, fault): it is alive. */
  message(deviceId: string, at: number): void {
    this.heardFromPipeline(at);
    const slot = this.slotOf.get(deviceId);
    if (slot === undefined) return;
    this.seen(slot, at);
  }

  /** A base station's sightings: it is alive, and so is every BLE device it heard. */
  sighting(
    gatewayId: string,
    devices: readonly { readonly id: string; readonly battery_pct?: number }[],
    at: number,
  ): void {
    this.heardFromPipeline(at);
    const gateway = this.slotOf.get(gatewayId);
    if (gateway !== undefined) this.seen(gateway, at);
    for (const heard of devices) {
      const slot = this.slotOf.get(heard.id);
      if (slot === undefined) continue;
      if (gateway !== undefined) this.rememberGateway(slot, gateway, at);
      this.seen(slot, at);
      if (heard.battery_pct !== undefined) this.battery(slot, heard.battery_pct, at);
    }
  }

  fault(
    deviceId: string,
    code: FaultCode,
    state: 'raised' | 'cleared',
    at: number,
    payload: Readonly<Record<string, unknown>>,
  ): void {
    this.message(deviceId, at);
    const slot = this.slotOf.get(deviceId);
    if (slot === undefined || this.retired[slot]) return;
    const kind = this.kinds[slot] as DeviceKind;
    const site = this.siteIds[slot] as string;
    const fingerprint = `fault:${deviceId}:${code}`;
    if (FAULT_CATALOG[code].action === 'notice') {
      // every raise counts on the open notice; the flag keeps telemetry from repeating it
      if (code === 'STOCK_EMPTY') this.stockEmpty[slot] = state === 'raised';
      this.actions.push({
        kind: state === 'raised' ? 'notice' : 'notice-cleared',
        deviceId,
        siteId: site,
        code,
        at,
      });
      return;
    }
    if (state === 'cleared') {
      this.actions.push({ kind: 'cleared', fingerprint, deviceId, code, at });
      return;
    }
    const rule = DEVICE_CATALOG[kind].faults[code];
    this.open(slot, {
      rule: 'fault',
      fingerprint,
      severity: rule?.severity ?? 'yellow',
      title: `${KIND_LABEL(kind)} ${deviceId}: ${code} (${FAULT_CATALOG[code].description})`,
      category: 'fault',
      parts: (rule?.parts ?? []).slice(0, 1).map((partNumber) => ({ partNumber, qty: 1 })),
      evidence: { code, payload, candidateParts: rule?.parts ?? [] },
      at,
    });
  }

  telemetry(deviceId: string, payload: Readonly<Record<string, unknown>>, at: number): void {
    this.message(deviceId, at);
    const slot = this.slotOf.get(deviceId);
    if (slot === undefined || this.retired[slot]) return;
    const kind = this.kinds[slot] as DeviceKind;
    const motor = payload['motor_state'];
    if (typeof motor === 'string') {
      if (motor === 'ok') this.motorBad[slot] = 0;
      else {
        const bad = (this.motorBad[slot] as number) + 1;
        this.motorBad[slot] = bad;
        if (bad === this.config.motorBadReports) {
          // the incident the firmware's own fault message names: a device that reports both
          // `motor_state` and MOTOR_STALL gets one ticket, whichever arrives first
          const code = motor === 'overcurrent' ? 'MOTOR_OVERCURRENT' : 'MOTOR_STALL';
          const rule = DEVICE_CATALOG[kind].faults[code] ?? DEVICE_CATALOG[kind].faults.MOTOR_STALL;
          this.open(slot, {
            rule: 'motor',
            fingerprint: `fault:${deviceId}:${code}`,
            severity: rule?.severity ?? 'red',
            title: `${KIND_LABEL(kind)} ${deviceId}: motor ${motor} in ${bad} reports in a row`,
            category: 'fault',
            parts: (rule?.parts ?? []).slice(0, 1).map((partNumber) => ({ partNumber, qty: 1 })),
            evidence: {
              motor_state: motor,
              reports: bad,
              payload,
              candidateParts: rule?.parts ?? [],
            },
            at,
          });
        }
      }
    }
    const battery = payload['battery_pct'];
    if (typeof battery === 'number') this.battery(slot, battery, at);
    const stock = payload['stock_level'];
    // contract: stock empty is a replenishment notice, opened once per empty spell and
    // cleared when the level is back above empty
    if (typeof stock === 'number') {
      const empty = stock <= 0;
      if (empty !== this.stockEmpty[slot]) {
        this.stockEmpty[slot] = empty;
        this.actions.push({
          kind: empty ? 'notice' : 'notice-cleared',
          deviceId,
          siteId: this.siteIds[slot] as string,
          code: 'STOCK_EMPTY',
          at,
        });
      }
    }
  }

  private battery(slot: number, pct: number, at: number): void {
    if (pct >= this.config.batteryLowPct + 5) this.batteryLow[slot] = false;
    if (pct >= this.config.batteryLowPct || this.batteryLow[slot]) return;
    this.batteryLow[slot] = true;
    const id = this.ids[slot] as string;
    const kind = this.kinds[slot] as DeviceKind;
    const spec = DEVICE_CATALOG[kind];
    const replacement = spec.faults.BATTERY_LOW?.parts ?? [];
    this.open(slot, {
      rule: 'battery',
      fingerprint: `battery:${id}`,
      severity: 'green',
      title: `${spec.label} ${id}: battery at ${pct}% (below ${this.config.batteryLowPct}%)`,
      category: 'preventive',
      parts: replacement.slice(0, 1).map((partNumber) => ({ partNumber, qty: 1 })),
      evidence: { battery_pct: pct },
      at,
    });
  }

  // ---- liveness -----------------------------------------------------------------------------

  private heardFromPipeline(at: number): void {
    this.messagesSinceStart++;
    if (at > this.lastMessageAt) this.lastMessageAt = at;
    if (!this.quiet) return;
    // data flows again: the platform ticket recovers, and every device gets a full span from
    // now before it can be missing (nothing is opened for the outage itself)
    this.quiet = false;
    this.actions.push({
      kind: 'recovered',
      fingerprint: 'platform',
      at,
      evidence: { resumedAt: at },
    });
    for (let slot = 0; slot < this.ids.length; slot++) {
      // an unknown tag waiting for its re-check (filed) gets the same full span
      if (
        this.state[slot] === OK ||
        (this.state[slot] === UNKNOWN && this.filedAt[slot] !== NONE)
      ) {
        if ((this.deadline[slot] as number) < at && !this.retired[slot]) {
          this.suppressedCounts.platform_quiet++; // would be missing now, but the pipeline was down
        }
        this.deadline[slot] = Math.max(
          this.deadline[slot] as number,
          at + (this.spanMs[slot] as number),
        );
      }
    }
  }

  private seen(slot: number, at: number): void {
    if (at > (this.lastSeen[slot] as number)) this.lastSeen[slot] = at;
    const span = this.spanMs[slot] as number;
    const next = (this.lastSeen[slot] as number) + span;
    if (next > (this.deadline[slot] as number)) this.deadline[slot] = next;
    this.dirty.add(slot);
    const state = this.state[slot] as number;
    if (state !== OK) this.recover(slot, state, at);
    if (this.filedAt[slot] === NONE) this.file(slot);
  }

  private recover(slot: number, state: number, at: number): void {
    const id = this.ids[slot] as string;
    this.state[slot] = OK;
    this.stateSince[slot] = at;
    const site = this.siteIds[slot] as string;
    // a base station back from missing: the tags it left unknown are checked again
    if (this.kinds[slot] === 'base_station') this.stationsBack.set(slot, at);
    if (this.inStorm[slot]) {
      this.leaveStorm(slot, at, { lastDevice: id });
      return;
    }
    // a pending device rode out its blip; an unknown one never had a ticket
    if (state === PENDING) this.suppressedCounts.blip++;
    if (state === MISSING) {
      this.actions.push({
        kind: 'recovered',
        fingerprint: `missing:${id}`,
        deviceId: id,
        siteId: site,
        at,
        evidence: { seenAt: at },
      });
    }
  }

  private rememberGateway(slot: number, gateway: number, at: number): void {
    const base = slot * GATEWAYS;
    let target = base;
    for (let k = 0; k < GATEWAYS; k++) {
      const s = this.gatewaySlot[base + k] as number;
      if (s === gateway || s === NONE) {
        target = base + k;
        break;
      }
      if ((this.gatewayHeard[base + k] as number) < (this.gatewayHeard[target] as number))
        target = base + k;
    }
    this.gatewaySlot[target] = gateway;
    this.gatewayHeard[target] = at;
  }

  private file(slot: number): void {
    const second = Math.max(
      Math.floor((this.deadline[slot] as number) / 1_000),
      this.wheelCursor + 1,
    );
    let bucket = this.wheel.get(second);
    if (bucket === undefined) {
      bucket = [];
      this.wheel.set(second, bucket);
    }
    bucket.push(slot);
    this.filedAt[slot] = second;
  }

  // ---- the clock ------------------------------------------------------------------------------

  /** Processes deadlines, pending decisions and the platform check up to `now`. */
  tick(now: number): void {
    this.shortest();
    this.siteStationMissing.clear();
    this.checkPlatform(now);
    this.recheckUnknown();
    const last = Math.floor(now / 1_000);
    for (let second = this.wheelCursor + 1; second <= last; second++) {
      // the cursor moves first: a device re-filed now goes to a later slot, never a passed one
      this.wheelCursor = second;
      const bucket = this.wheel.get(second);
      if (bucket === undefined) continue;
      this.wheel.delete(second);
      for (const slot of bucket) if (this.filedAt[slot] === second) this.due(slot, now);
    }
    for (const queue of this.decisions.values()) {
      while (queue.length > 0 && (queue[0]?.at ?? Infinity) <= now) {
        const { slot } = queue.shift() as { at: number; slot: number };
        this.decide(slot, now);
      }
    }
    this.flushUnknown(now);
  }

  /**
   * Unknown tags behind a base station heard again (or, for a tag restored unknown at a start,
   * which remembers no station, behind any station of its site) get a fresh deadline: that
   * moment plus their full span. Sighted by then they are ok; if not, they are checked like any
   * device (missing, or unknown again when their stations are all gone again). One pass over
   * the slots per tick with stations back, and only then.
   */
  private recheckUnknown(): void {
    if (this.stationsBack.size === 0) return;
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (this.state[slot] !== UNKNOWN || this.retired[slot]) continue;
      const base = slot * GATEWAYS;
      let back: number | undefined;
      let remembers = false;
      for (let k = 0; k < GATEWAYS; k++) {
        const gateway = this.gatewaySlot[base + k] as number;
        if (gateway === NONE) continue;
        remembers = true;
        const at = this.stationsBack.get(gateway);
        if (at !== undefined) back = Math.max(back ?? at, at);
      }
      if (!remembers) {
        for (const [gateway, at] of this.stationsBack) {
          if (this.siteIds[gateway] === this.siteIds[slot]) back = Math.max(back ?? at, at);
        }
      }
      if (back === undefined) continue;
      const deadline = back + (this.spanMs[slot] as number);
      this.deadline[slot] = deadline;
      const filedAt = this.filedAt[slot] as number;
      if (filedAt === NONE || Math.floor(deadline / 1_000) < filedAt) this.file(slot);
    }
    this.stationsBack.clear();
  }

  private due(slot: number, now: number): void {
    this.filedAt[slot] = NONE;
    const current = this.state[slot] as number;
    // an unknown tag is due only when filed for a re-check (a station came back, or a start)
    if (this.retired[slot] || (current !== OK && current !== UNKNOWN)) return;
    const deadline = this.deadline[slot] as number;
    // missing when now > lastSeen + interval × misses; seen meanwhile: file it at its new deadline
    if (deadline >= now) return this.file(slot);
    if (this.quiet) return this.file(slot); // the pipeline is down, not the device
    const kind = this.kinds[slot] as DeviceKind;
    if (current === UNKNOWN && this.stillBehindMissing(slot)) return; // unknown again
    if (DEVICE_CATALOG[kind].transport === 'ble' && this.behindMissingGateways(slot)) {
      this.setState(slot, UNKNOWN, deadline);
      this.lagged(now - deadline);
      this.suppressedCounts.correlated++;
      return;
    }
    this.setState(slot, PENDING, deadline);
    this.lagged(now - deadline);
    const site = this.siteIds[slot] as string;
    let recent = this.siteMissing.get(site);
    if (recent === undefined) {
      recent = [];
      this.siteMissing.set(site, recent);
    }
    recent.push({ slot, since: deadline });
    const delay =
      this.config.correlationMs + this.config.holdDownMs[DEVICE_CATALOG[kind].severityWhenMissing];
    let queue = this.decisions.get(delay);
    if (queue === undefined) {
      queue = [];
      this.decisions.set(delay, queue);
    }
    queue.push({ at: now + delay, slot });
  }

  /**
   * For an unknown tag's re-check, without listing it anywhere again (its station's ticket has
   * it): every station that heard it lately is gone again; a tag restored unknown at a start
   * remembers no station, so it stands behind its site's stations (one of them still missing).
   */
  private stillBehindMissing(slot: number): boolean {
    const base = slot * GATEWAYS;
    for (let k = 0; k < GATEWAYS; k++) {
      if (this.gatewaySlot[base + k] !== NONE) return this.behindMissingGateways(slot, false);
    }
    const site = this.siteIds[slot] as string;
    let missing = this.siteStationMissing.get(site);
    if (missing === undefined) {
      missing = false;
      for (let s = 0; s < this.ids.length && !missing; s++) {
        missing =
          this.kinds[s] === 'base_station' &&
          this.siteIds[s] === site &&
          !this.retired[s] &&
          this.state[s] !== OK;
      }
      this.siteStationMissing.set(site, missing);
    }
    return missing;
  }

  /**
   * Every base station that heard this BLE device lately is itself gone (or there is none; a
   * retired station counts as none); with `queue`, the tag is queued for those stations' tickets.
   */
  private behindMissingGateways(slot: number, queue = true): boolean {
    const base = slot * GATEWAYS;
    const since = (this.lastSeen[slot] as number) - (this.spanMs[slot] as number);
    const hearing = (k: number, gateway: number) =>
      gateway !== NONE &&
      !this.retired[gateway] &&
      (this.gatewayHeard[base + k] as number) >= since;
    let any = false;
    for (let k = 0; k < GATEWAYS; k++) {
      const gateway = this.gatewaySlot[base + k] as number;
      if (!hearing(k, gateway)) continue;
      any = true;
      if (this.state[gateway] === OK) return false;
    }
    if (!any) return false;
    if (!queue) return true;
    for (let k = 0; k < GATEWAYS; k++) {
      const gateway = this.gatewaySlot[base + k] as number;
      if (!hearing(k, gateway)) continue;
      let list = this.unknownBehind.get(gateway);
      if (list === undefined) {
        list = [];
        this.unknownBehind.set(gateway, list);
      }
      list.push(this.ids[slot] as string);
    }
    return true;
  }

  /**
   * Lists BLE tags that turned unknown on their base station's ticket: at once when it is open,
   * else when it opens (a pending station keeps its list; one heard again drops it).
   */
  private flushUnknown(now: number, only?: number): void {
    for (const [gateway, ids] of this.unknownBehind) {
      if (only !== undefined && gateway !== only) continue;
      const state = this.state[gateway];
      if (state === PENDING) continue;
      this.unknownBehind.delete(gateway);
      if (state !== MISSING) continue;
      this.actions.push({
        kind: 'annotate',
        fingerprint: this.inStorm[gateway]
          ? `site:${this.siteIds[gateway] as string}`
          : `missing:${this.ids[gateway] as string}`,
        text: `${ids.length} BLE device(s) heard only by ${this.ids[gateway] as string} are now unknown (not missing): ${ids.slice(0, 1_000).join(', ')}${ids.length > 1_000 ? ', …' : ''}`,
        evidence: { unknownDevices: ids },
        at: now,
      });
    }
  }

  private setState(slot: number, state: number, since: number): void {
    this.state[slot] = state;
    this.stateSince[slot] = since;
    this.dirty.add(slot);
  }

  /** The correlation window of a newly missing device is over: its own ticket, or its site's. */
  private decide(slot: number, now: number): void {
    if (this.state[slot] !== PENDING || this.retired[slot]) return;
    const site = this.siteIds[slot] as string;
    const since = this.stateSince[slot] as number;
    const window = this.config.correlationMs;
    const recent = (this.siteMissing.get(site) ?? []).filter(
      (m) => m.since >= now - 3 * window && this.state[m.slot] !== OK,
    );
    this.siteMissing.set(site, recent);
    const storm = this.storms.get(site);
    const together = recent.filter((m) => Math.abs(m.since - since) <= window);
    const threshold = Math.max(
      this.config.siteMinDevices,
      Math.ceil(this.config.siteShare * (this.siteSize.get(site) ?? 0)),
    );
    if (storm !== undefined || together.length >= threshold) {
      const joined =
        storm !== undefined
          ? [slot]
          : together.map((m) => m.slot).filter((s) => this.state[s] === PENDING);
      const covered = storm ?? { outstanding: new Set<number>(), openedAt: now };
      this.suppressedCounts.correlated += joined.length;
      for (const s of joined) {
        this.setState(s, MISSING, this.stateSince[s] as number);
        this.inStorm[s] = true;
        covered.outstanding.add(s);
      }
      this.storms.set(site, covered);
      const ids = joined.map((s) => this.ids[s] as string);
      if (storm !== undefined) {
        this.actions.push({
          kind: 'annotate',
          fingerprint: `site:${site}`,
          text: `also silent now: ${ids.join(', ')}`,
          evidence: { devices: ids },
          at: now,
        });
        return;
      }
      this.open(slot, {
        rule: 'site',
        fingerprint: `site:${site}`,
        severity: 'red',
        title: `Site ${site}: ${ids.length} of ${this.siteSize.get(site) ?? 0} devices silent together (site network or power)`,
        category: 'site-network-or-power',
        parts: [],
        evidence: { devices: ids, threshold, window },
        at: now,
        siteLevel: true,
      });
      return;
    }
    this.setState(slot, MISSING, since);
    const id = this.ids[slot] as string;
    const kind = this.kinds[slot] as DeviceKind;
    const spec = DEVICE_CATALOG[kind];
    const seen = this.lastSeen[slot] as number;
    this.open(slot, {
      rule: 'missing',
      fingerprint: `missing:${id}`,
      severity: spec.severityWhenMissing,
      title: `${spec.label} ${id} missing: ${seen === 0 ? 'not heard since tracking began' : `no ${spec.transport === 'ble' ? 'sighting' : 'heartbeat'} since ${new Date(seen).toISOString()}`}`,
      category: 'device-unusable',
      parts: spec.missingParts.slice(0, 1).map((partNumber) => ({ partNumber, qty: 1 })),
      evidence: {
        lastSeenAt: seen === 0 ? null : new Date(seen).toISOString(),
        missedBeats:
          seen === 0 ? null : Math.floor((now - seen) / (this.intervalMs[slot] as number)),
        intervalS: (this.intervalMs[slot] as number) / 1_000,
        candidateParts: spec.missingParts,
      },
      at: now,
    });
    this.flushUnknown(now, slot); // tags already unknown behind it go on its ticket at once
  }

  private open(
    slot: number,
    ticket: Omit<Extract<HealthAction, { kind: 'open' }>, 'kind' | 'deviceId' | 'siteId'> & {
      readonly siteLevel?: boolean;
    },
  ): void {
    const deviceId = ticket.siteLevel ? undefined : (this.ids[slot] as string);
    const siteId = this.siteIds[slot] as string;
    const windowId = this.maintenance(deviceId ?? '', siteId, ticket.at);
    if (windowId !== undefined) {
      this.suppressedCounts.maintenance++;
      this.actions.push({
        kind: 'suppressed',
        windowId,
        rule: ticket.rule,
        fingerprint: ticket.fingerprint,
        ...(deviceId === undefined ? {} : { deviceId }),
        siteId,
        at: ticket.at,
      });
      return;
    }
    this.actions.push({
      kind: 'open',
      rule: ticket.rule,
      fingerprint: ticket.fingerprint,
      severity: ticket.severity,
      title: ticket.title,
      category: ticket.category,
      parts: ticket.parts,
      evidence: ticket.evidence,
      at: ticket.at,
      ...(deviceId === undefined ? {} : { deviceId }),
      siteId,
    });
  }

  private checkPlatform(now: number): void {
    if (this.quiet) return;
    if (now - this.lastMessageAt <= this.config.platformQuietFactor * this.minIntervalMs) return;
    // was the fleet talking just before? (a silent fleet of one is a device problem). Before the
    // first message since the start, "before" is the snapshot: a fleet heard at all that says
    // nothing to a new owner is a pipeline down (a start during a broker outage), not a storm
    let heard = 0;
    const recentSince = this.messagesSinceStart === 0 ? 1 : this.lastMessageAt - this.minSpanMs;
    for (let slot = 0; slot < this.ids.length && heard < this.config.platformMinDevices; slot++) {
      if ((this.lastSeen[slot] as number) >= recentSince) heard++;
    }
    if (heard < this.config.platformMinDevices) return;
    this.quiet = true;
    // devices that went silent with the pipeline are not missing
    for (const queue of this.decisions.values()) {
      for (const { slot } of queue) {
        if (this.state[slot] === PENDING) {
          // counted as platform_quiet when data flows again (still past its deadline then)
          this.setState(slot, OK, now);
          if (this.filedAt[slot] === NONE) this.file(slot);
        }
      }
      queue.length = 0;
    }
    this.siteMissing.clear();
    // a ticket belongs to a site (its SLA zone): the platform's goes to the largest one
    let siteId = '';
    let largest = -1;
    for (const [site, size] of this.siteSize) {
      if (size > largest) [siteId, largest] = [site, size];
    }
    this.actions.push({
      kind: 'open',
      rule: 'platform',
      siteId,
      fingerprint: 'platform',
      severity: 'red',
      title: `No device messages at all since ${new Date(this.lastMessageAt).toISOString()}: the data pipeline (broker or network) is down`,
      category: 'platform',
      parts: [],
      evidence: {
        lastMessageAt: new Date(this.lastMessageAt).toISOString(),
        quietForMs: now - this.lastMessageAt,
      },
      at: now,
    });
  }

  /** Kinds the engine knows (guards input from devices whose kind the catalog lacks). */
  static knows(kind: string): kind is DeviceKind {
    return isDeviceKind(kind);
  }
}

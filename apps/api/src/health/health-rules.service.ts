import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { Subject, concatMap, fromEvent, interval, map, from } from 'rxjs';
import type { Subscription } from 'rxjs';
import { DataSource } from 'typeorm';
import type { QueryRunner } from 'typeorm';
import { FLEET_FILTERS, decodeMessage, isDeviceKind } from '@orfleet/devices';
import { API_TOKEN_PREFIX, newSecret, sha256Hex } from '../auth/token-secret';
import type { ApiConfig } from '../config';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import { API_CONFIG } from '../platform/tokens';
import { TicketsService } from '../tickets/tickets.service';
import { DeviceHealthStore } from './device-health.store';
import { DeviceNoticeStore } from './device-notice.store';
import { HealthMetrics, MESSAGE_TYPE } from './health-metrics';
import { DEFAULT_HEALTH_CONFIG, HealthEngine } from './health-engine';
import type { HealthAction, HealthDevice, RestoredHealth } from './health-engine';
import { MaintenanceService } from './maintenance.service';
import { activeWindowFor } from './maintenance.rules';
import type { MaintenanceWindow } from './maintenance-window.entity';

/** pg_try_advisory_lock key of the rule loop: one owner at a time across API processes. */
const LEADER_LOCK = 0x6f72_666c; // "orfl"
const ACTOR = 'health-rules';
/** How far back of its watermark a registry refresh reads (writes that committed late). */
const REGISTRY_OVERLAP_MS = 60_000;
const SELF_TOKEN = 'health-rules (self)';

interface RegistryRow {
  readonly id: string;
  readonly kind: string;
  readonly site_id: string;
  readonly status: string;
  readonly heartbeat_interval_s: number | null;
  readonly misses_before_missing: number | null;
  readonly updated_at: Date;
}

const toDevice = (row: RegistryRow): HealthDevice | undefined =>
  isDeviceKind(row.kind)
    ? {
        id: row.id,
        kind: row.kind,
        siteId: row.site_id,
        ...(row.heartbeat_interval_s === null ? {} : { intervalS: row.heartbeat_interval_s }),
        ...(row.misses_before_missing === null ? {} : { misses: row.misses_before_missing }),
      }
    : undefined;

/**
 * Runs the health rules (docs/health-rules.md): owns the rule loop while it holds a PostgreSQL
 * advisory lock (another API process takes over within seconds when it dies), listens to the
 * fleet on the broker as a service account, feeds the pure HealthEngine, and turns its actions
 * into tickets through TicketsService (fingerprints make a repeat an occurrence, never a second
 * ticket). rxjs carries the plumbing: messages in, clock ticks, actions applied one by one in
 * order, snapshots.
 */
@Injectable()
export class HealthRulesService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('HealthRules');
  private lock: QueryRunner | undefined;
  private client: MqttClient | undefined;
  private engine: HealthEngine | undefined;
  private readonly subscriptions: Subscription[] = [];
  private leaderTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private windows: MaintenanceWindow[] = [];
  private applying: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly tickets: TicketsService,
    private readonly maintenance: MaintenanceService,
    private readonly snapshots: DeviceHealthStore,
    private readonly metrics: HealthMetrics,
    private readonly notices: DeviceNoticeStore,
  ) {}

  /** Whether this process runs the rules now. */
  get leading(): boolean {
    return this.engine !== undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.config.health.enabled) return;
    this.tryLead();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.leaderTimer !== undefined) clearTimeout(this.leaderTimer);
    await this.stepDown();
  }

  // ---- leadership -------------------------------------------------------------------------

  private tryLead(): void {
    if (this.stopped) return;
    this.acquire().then(
      (leading) => {
        if (!leading) this.leaderTimer = setTimeout(() => this.tryLead(), 5_000);
      },
      (error: unknown) => {
        this.log.error(`health rules failed to start: ${String(error)}`);
        void this.stepDown().then(() => {
          this.leaderTimer = setTimeout(() => this.tryLead(), 5_000);
        });
      },
    );
  }

  private async acquire(): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK])) as {
      ok: boolean;
    }[];
    if (rows[0]?.ok !== true) {
      await runner.release();
      return false;
    }
    this.lock = runner;
    await this.lead();
    return true;
  }

  private async stepDown(): Promise<void> {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    await this.applying.catch(() => undefined);
    if (this.engine !== undefined) await this.flushSnapshot().catch(() => undefined);
    this.engine = undefined;
    this.metrics.lead(undefined);
    await this.client?.endAsync(true).catch(() => undefined);
    this.client = undefined;
    const lock = this.lock;
    this.lock = undefined;
    if (lock !== undefined) {
      await lock.query('SELECT pg_advisory_unlock($1)', [LEADER_LOCK]).catch(() => undefined);
      await lock.release().catch(() => undefined);
    }
  }

  // ---- the loop ----------------------------------------------------------------------------

  private async lead(): Promise<void> {
    const now = this.clock.now().getTime();
    const registry = await this.loadRegistry();
    const restored = new Map<string, RestoredHealth>();
    // a device the snapshot calls missing with no open ticket covering it was inside its
    // correlation window when the previous owner died: the engine detects it again
    const open = new Set(
      (
        await this.dataSource.query<{ fingerprint: string }[]>(
          `SELECT fingerprint FROM ticket WHERE source = 'health-rule'
              AND status NOT IN ('resolved', 'closed', 'cancelled')`,
        )
      ).map((r) => r.fingerprint),
    );
    const siteOf = new Map(registry.devices.map((d) => [d.id, d.siteId]));
    for (const row of await this.snapshots.loadAll()) {
      const own = open.has(`missing:${row.deviceId}`);
      const site = !own && open.has(`site:${siteOf.get(row.deviceId) ?? ''}`);
      restored.set(row.deviceId, {
        lastSeenAt: row.lastSeenAt,
        state: row.state,
        ticketOpen: own || site,
        siteTicketOpen: site,
      });
    }
    this.windows = await this.maintenance.activeWindows(new Date(now));
    const h = this.config.health;
    const engine = new HealthEngine(
      {
        ...DEFAULT_HEALTH_CONFIG,
        correlationMs: h.correlationMs,
        holdDownMs: h.holdDownMs,
        siteShare: h.siteShare,
        siteMinDevices: h.siteMinDevices,
      },
      registry.devices,
      now,
      restored,
      (deviceId, siteId, at) =>
        activeWindowFor(this.windows, deviceId === '' ? null : deviceId, siteId, at)?.id,
    );
    // notices left open by an earlier owner: the next report above empty clears them
    for (const n of await this.notices.openNotices()) engine.noticeOpen(n.deviceId, n.code);
    this.engine = engine;
    this.metrics.lead(engine);
    let registrySince = registry.latest;
    this.log.log(`health rules running: ${engine.trackedDevices} devices tracked`);

    const client = connect(h.mqttUrl, {
      protocolVersion: 4,
      clientId: `svc:${this.account()}:rules`,
      ...(await this.credentials()),
      clean: true,
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
    });
    this.client = client;
    client.on('connect', () => {
      client.subscribe([...FLEET_FILTERS], { qos: 1 }, (error) => {
        // a refusal (the broker's ACL for this account) or a connection lost before the SUBACK;
        // the next connect subscribes again. Silence here would look like a fleet gone quiet.
        if (error) this.log.error(`health rules could not subscribe: ${error.message}`);
        else this.log.log(`health rules listening on ${h.mqttUrl}`);
      });
    });
    client.on('error', (error) => this.log.warn(`broker: ${error.message}`));

    const actions = new Subject<HealthAction[]>();
    this.subscriptions.push(
      fromEvent(client, 'message', (topic: string, payload: Buffer) => ({ topic, payload }))
        .pipe(
          map(({ topic, payload }) => {
            const receivedAt = this.clock.now().getTime();
            return { decoded: decodeMessage(topic, payload, receivedAt), receivedAt };
          }),
        )
        .subscribe(({ decoded, receivedAt: at }) => {
          if (!decoded.ok) return this.metrics.message(MESSAGE_TYPE.invalid);
          // liveness runs on this clock, not the device's: a device whose clock is an hour
          // behind is still alive (its `ts` goes to InfluxDB, not into deadlines)
          const m = decoded.message;
          const id = m.address.deviceId;
          this.metrics.message(MESSAGE_TYPE[m.channel]);
          switch (m.channel) {
            case 'heartbeat':
              return engine.message(id, at);
            case 'telemetry':
              return engine.telemetry(id, m.payload, at);
            case 'fault':
              return engine.fault(
                id,
                m.payload.code,
                m.payload.state,
                at,
                m.payload as unknown as Record<string, unknown>,
              );
            case 'sightings':
              return engine.sighting(id, m.payload.devices, at);
          }
        }),
      interval(h.tickMs).subscribe(() => {
        const started = performance.now();
        engine.tick(this.clock.now().getTime());
        this.metrics.ticked((performance.now() - started) / 1_000);
        this.metrics.detected(engine.takeDetectionLags());
        const taken = engine.takeActions();
        if (taken.length > 0) actions.next(taken);
      }),
      actions.pipe(concatMap((batch) => from(this.applyAll(batch)))).subscribe(),
      interval(h.snapshotMs).subscribe(() => {
        void this.flushSnapshot().catch((error: unknown) =>
          this.log.warn(`snapshot failed: ${String(error)}`),
        );
      }),
      interval(h.registryRefreshMs).subscribe(() => {
        void this.refreshRegistry(engine, registrySince).then(
          (latest) => {
            registrySince = latest;
          },
          (error: unknown) => this.log.warn(`registry refresh failed: ${String(error)}`),
        );
      }),
    );
    const reloadWindows = () => {
      this.maintenance.activeWindows(this.clock.now()).then(
        (w) => {
          this.windows = w;
        },
        (error: unknown) => this.log.warn(`maintenance windows not reloaded: ${String(error)}`),
      );
    };
    const unsubscribe = this.maintenance.onChange(reloadWindows);
    this.subscriptions.push(
      { unsubscribe } as unknown as Subscription,
      interval(5_000).subscribe(reloadWindows),
    );
  }

  private async loadRegistry(): Promise<{ devices: HealthDevice[]; latest: Date }> {
    const rows = await this.dataSource.query<RegistryRow[]>(
      `SELECT id, kind, site_id, status, heartbeat_interval_s, misses_before_missing, updated_at
         FROM device WHERE status <> 'retired'`,
    );
    let latest = new Date(0);
    const devices: HealthDevice[] = [];
    for (const row of rows) {
      if (row.updated_at > latest) latest = row.updated_at;
      const device = toDevice(row);
      if (device !== undefined) devices.push(device);
    }
    return { devices, latest };
  }

  /** Devices added or changed since `since` (any API process): kept current in the engine. */
  private async refreshRegistry(engine: HealthEngine, since: Date): Promise<Date> {
    // updated_at is stamped when a write starts, not when it commits: a bulk import or PATCH
    // committing after a later-stamped one was read would fall behind the watermark, so each
    // refresh re-reads a minute back (re-applying an unchanged device changes nothing)
    const rows = await this.dataSource.query<RegistryRow[]>(
      `SELECT id, kind, site_id, status, heartbeat_interval_s, misses_before_missing, updated_at
         FROM device WHERE updated_at > $1 ORDER BY updated_at`,
      [new Date(since.getTime() - REGISTRY_OVERLAP_MS)],
    );
    let latest = since;
    for (const row of rows) {
      if (row.updated_at > latest) latest = row.updated_at;
      const device = toDevice(row);
      if (row.status === 'retired') engine.removeDevice(row.id, this.clock.now().getTime());
      else if (device !== undefined) engine.upsertDevice(device);
    }
    return latest;
  }

  private async flushSnapshot(): Promise<void> {
    const engine = this.engine;
    if (engine === undefined) return;
    const started = performance.now();
    const updatedAt = this.clock.now().getTime();
    const rows = engine.takeSnapshot();
    for (let i = 0; i < rows.length; i += 10_000) {
      await this.snapshots.upsertMany(rows.slice(i, i + 10_000), updatedAt);
    }
    this.metrics.snapshotWritten((performance.now() - started) / 1_000);
  }

  // ---- actions → tickets --------------------------------------------------------------------

  private applyAll(batch: readonly HealthAction[]): Promise<void> {
    const run = (async () => {
      for (const action of batch) {
        try {
          await this.apply(action);
        } catch (error) {
          // one failed action must not stop the loop: logged, and the next ones go on
          this.log.error(`health action ${action.kind} failed: ${String(error)}`);
        }
      }
    })();
    this.applying = run;
    return run;
  }

  private async apply(action: HealthAction): Promise<void> {
    switch (action.kind) {
      case 'open':
        return this.open(action);
      case 'recovered':
        return this.note(
          action.fingerprint,
          `recovery observed at ${new Date(action.at).toISOString()}: heard again; waiting for an engineer's verification`,
        );
      case 'cleared':
        return this.note(
          action.fingerprint,
          `the device cleared ${action.code} at ${new Date(action.at).toISOString()}`,
        );
      case 'annotate':
        return this.note(action.fingerprint, action.text);
      case 'notice':
        // logistics, not a repair: a record for whoever refills it, never a ticket
        return this.notices.raise(action);
      case 'notice-cleared':
        return this.notices.clear(action);
      case 'suppressed':
        return this.maintenance.recordSuppression(action.windowId, {
          deviceId: action.deviceId ?? null,
          siteId: action.siteId,
          rule: action.rule,
          fingerprint: action.fingerprint,
          at: new Date(action.at),
        });
    }
  }

  private async open(action: Extract<HealthAction, { kind: 'open' }>): Promise<void> {
    // flap folding: with nothing open, the same fingerprint resolved or closed within the
    // cool-down is re-opened (an open one just counts the occurrence, in TicketsService.open)
    if ((await this.openTicketId(action.fingerprint)) === undefined) {
      const recent = await this.dataSource.query<{ id: string }[]>(
        `SELECT id FROM ticket
          WHERE fingerprint = $1 AND status IN ('resolved', 'closed')
            AND updated_at >= $2
          ORDER BY updated_at DESC LIMIT 1`,
        [action.fingerprint, new Date(action.at - this.config.health.flapCooldownMs)],
      );
      if (recent[0] !== undefined) {
        await this.tickets.addEvent(
          recent[0].id,
          { type: 'reopen', text: `${action.title} (again within the flap cool-down)` },
          ACTOR,
        );
      }
    }
    try {
      const { created } = await this.tickets.open(this.ticketInput(action, true), ACTOR);
      if (created) this.metrics.ticketOpened(action.rule);
    } catch (error) {
      if (action.parts.length === 0) throw error;
      // a part the catalog or the stores cannot give must not keep the ticket from opening
      const opened = await this.tickets.open(this.ticketInput(action, false), ACTOR);
      if (opened.created) this.metrics.ticketOpened(action.rule);
      await this.tickets.addEvent(
        opened.ticket.id,
        {
          type: 'note',
          text: `could not reserve ${action.parts.map((p) => `${p.qty} × ${p.partNumber}`).join(', ')}: ${error instanceof Error ? error.message : String(error)}`,
        },
        ACTOR,
      );
    }
  }

  private ticketInput(action: Extract<HealthAction, { kind: 'open' }>, withParts: boolean) {
    return {
      severity: action.severity,
      title: action.title,
      category: action.category,
      description: `Opened by the health rules (${action.rule}).\n\nEvidence:\n${JSON.stringify(action.evidence, null, 2)}`,
      ...(action.deviceId === undefined ? {} : { deviceId: action.deviceId }),
      ...(action.siteId === undefined ? {} : { siteId: action.siteId }),
      source: 'health-rule' as const,
      fingerprint: action.fingerprint,
      ...(!withParts || action.parts.length === 0 ? {} : { parts: action.parts }),
    };
  }

  private async openTicketId(fingerprint: string): Promise<string | undefined> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM ticket WHERE fingerprint = $1 AND status NOT IN ('resolved', 'closed', 'cancelled') LIMIT 1`,
      [fingerprint],
    );
    return rows[0]?.id;
  }

  private async note(fingerprint: string, text: string): Promise<void> {
    const id = await this.openTicketId(fingerprint);
    if (id === undefined) return; // nothing open for it (a pending blip, or already closed)
    await this.tickets.addEvent(id, { type: 'note', text }, ACTOR);
  }

  // ---- the broker account ------------------------------------------------------------------

  private account(): string {
    const name = this.config.health.mqttUsername;
    return name?.startsWith('svc:') ? name.slice(4) : (name ?? SELF_TOKEN.replace(/\W+/g, '-'));
  }

  /**
   * Configured credentials, or a device-service token this process makes for itself (orfleet's
   * broker checks it in the same database); earlier self-made ones are revoked.
   */
  private async credentials(): Promise<{ username?: string; password?: string }> {
    const h = this.config.health;
    if (h.mqttUsername !== undefined) {
      return {
        username: h.mqttUsername,
        ...(h.mqttPassword === undefined ? {} : { password: h.mqttPassword }),
      };
    }
    const name = SELF_TOKEN.replace(/\W+/g, '-');
    const token = newSecret(API_TOKEN_PREFIX);
    await this.dataSource.query(
      `UPDATE api_token SET revoked_at = now() WHERE name = $1 AND created_by = $2 AND revoked_at IS NULL`,
      [name, SELF_TOKEN],
    );
    await this.dataSource.query(
      `INSERT INTO api_token (name, role, secret_sha256, created_by) VALUES ($1, 'device-service', $2, $3)`,
      [name, sha256Hex(token), SELF_TOKEN],
    );
    return { username: `svc:${name}`, password: token };
  }
}

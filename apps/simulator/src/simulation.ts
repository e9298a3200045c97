import path from 'node:path';
import {
  ApiClient,
  SecretStore,
  ensureSites,
  ensureStock,
  openTickets,
  registerFleet,
  rotateSecret,
} from './api-client';
import { countByKind, generateFleet } from './fleet.rules';
import type { Fleet } from './fleet.rules';
import { COMMAND_HELP, parseCommand } from './faults.rules';
import { describeTicket, progressLine } from './progress.rules';
import type { ProgressSample, TicketDetail } from './progress.rules';
import { FleetRunner } from './runner';
import type { Scenario } from './scenario.rules';

export interface SimulationOptions {
  readonly scenario: Scenario;
  readonly apiUrl: string;
  readonly token: string;
  readonly mqttUrl: string;
  readonly dataDir: string;
  readonly extraFaults?: readonly { readonly atMs: number; readonly command: string }[];
  readonly progressMs?: number;
  readonly connectPerS?: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export class SimulationError extends Error {}

/** New tickets described per progress poll, at most (the rest are counted). */
const TICKETS_SHOWN_PER_POLL = 5;

/**
 * A running simulation: the fleet registered through the API, its devices on the broker, faults
 * on schedule, progress and new tickets printed. `command` takes a stdin line.
 */
export class Simulation {
  readonly startedAt: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly seenTickets = new Set<string>();
  private previous: ProgressSample | undefined;
  private openedSinceStart = 0;
  private polling = false;

  private constructor(
    readonly fleet: Fleet,
    readonly runner: FleetRunner,
    private readonly api: ApiClient,
    private readonly options: SimulationOptions,
    private readonly log: (line: string) => void,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  /** Checks the scripted faults, registers the fleet, then connects it. */
  static async start(options: SimulationOptions): Promise<Simulation> {
    const log = options.log ?? ((line: string) => console.log(`simulator: ${line}`));
    const now = options.now ?? Date.now;
    const fleet = generateFleet(options.scenario);
    const scripted = [...options.scenario.faults, ...(options.extraFaults ?? [])];
    const problems = scripted.flatMap((f) => {
      const parsed = parseCommand(f.command, fleet);
      return parsed.ok ? [] : [`fault "${f.command}": ${parsed.error}`];
    });
    if (problems.length > 0) throw new SimulationError(problems.join('\n'));

    const api = new ApiClient(options.apiUrl, options.token);
    const kinds = Object.entries(countByKind(fleet.devices))
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    log(`scenario ${options.scenario.name}: ${fleet.devices.length} devices (${kinds})`);
    const sitesMade = await ensureSites(api, options.scenario);
    const received = await ensureStock(api, options.scenario);
    const store = new SecretStore(
      path.join(options.dataDir, `${options.scenario.name}.secrets.json`),
    );
    const plan = await registerFleet(api, fleet, store);
    log(
      `registry: ${sitesMade} sites created, ${plan.toImport.length} devices imported, ${plan.toRotate.length} secrets rotated, ${plan.reused} reused; ${received} spare parts received (secrets in ${store.file})`,
    );
    const runner = new FleetRunner(fleet, store.secrets, {
      mqttUrl: options.mqttUrl,
      connectPerS: options.connectPerS ?? 50,
      now,
      log,
      rotateSecret: async (id) => {
        const secret = await rotateSecret(api, id);
        store.secrets[id] = secret;
        store.save();
        return secret;
      },
    });
    const simulation = new Simulation(fleet, runner, api, options, log, now);
    runner.start();
    for (const fault of scripted) {
      simulation.timers.push(
        setTimeout(
          () =>
            log(`scripted fault at +${fault.atMs / 1_000}s: ${simulation.command(fault.command)}`),
          fault.atMs,
        ),
      );
    }
    const every = options.progressMs ?? 5_000;
    simulation.timers.push(
      setInterval(() => {
        simulation
          .progress()
          .catch((error: unknown) =>
            log(`progress: ${error instanceof Error ? error.message : String(error)}`),
          );
      }, every),
    );
    log(
      `connecting ${runner.stats().mqttDevices} device sessions to ${options.mqttUrl}; type help for fault commands`,
    );
    return simulation;
  }

  /** Runs one command line (stdin or scripted); answers what happened or what was wrong. */
  command(line: string): string {
    const parsed = parseCommand(line, this.fleet);
    if (!parsed.ok) return parsed.error;
    if (parsed.command.type === 'help') return COMMAND_HELP.join('\n');
    return this.runner.command(parsed.command);
  }

  /** One progress line, and the tickets opened since the last one. */
  async progress(): Promise<void> {
    if (this.polling) return; // a slow API: skip a beat rather than pile up requests
    this.polling = true;
    try {
      const stats = this.runner.stats();
      let open: number | undefined;
      const fresh: string[] = [];
      try {
        const tickets = await openTickets(this.api, new Set(this.fleet.sites.keys()));
        open = tickets.length;
        for (const t of tickets) {
          if (this.seenTickets.has(t.id)) continue;
          this.seenTickets.add(t.id);
          if (Date.parse(t.createdAt) >= this.startedAt - 1_000) {
            this.openedSinceStart++;
            fresh.push(t.id);
          }
        }
      } catch (error) {
        this.log(`tickets: ${error instanceof Error ? error.message : String(error)}`);
      }
      const sample: ProgressSample = {
        at: this.now(),
        ...stats,
        totalDevices: this.fleet.devices.length,
        openTickets: open,
        openedSinceStart: this.openedSinceStart,
      };
      this.log(progressLine(this.previous, sample));
      this.previous = sample;
      for (const id of fresh.slice(0, TICKETS_SHOWN_PER_POLL)) {
        try {
          const detail = await this.api.request<TicketDetail>('GET', `/api/v1/tickets/${id}`);
          if (detail.status === 200) for (const line of describeTicket(detail.body)) this.log(line);
        } catch (error) {
          // the API went away between the list and the detail: said, never an unhandled
          // rejection (which would end the process from its progress timer)
          this.log(`ticket ${id}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (fresh.length > TICKETS_SHOWN_PER_POLL) {
        this.log(
          `… and ${fresh.length - TICKETS_SHOWN_PER_POLL} more new tickets (GET /api/v1/tickets)`,
        );
      }
    } finally {
      this.polling = false;
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.runner.stop();
  }
}

/** What the simulator prints for a person: a progress line every few seconds, and new tickets. */

export interface ProgressSample {
  readonly at: number;
  readonly connected: number;
  /** Devices that should hold a session now (MQTT devices not killed, sites up). */
  readonly expected: number;
  readonly mqttDevices: number;
  readonly totalDevices: number;
  readonly published: number;
  readonly publishErrors: number;
  readonly faultsInjected: number;
  /** Open tickets (undefined when the API could not be asked). */
  readonly openTickets: number | undefined;
  readonly openedSinceStart: number | undefined;
}

const time = (at: number): string => new Date(at).toISOString().slice(11, 19);

/** One line: `12:00:05  connected 76/76 (316 devices)  12.4 msg/s  faults 1  tickets 1 open, 1 new`. */
export function progressLine(previous: ProgressSample | undefined, now: ProgressSample): string {
  const seconds = previous === undefined ? 0 : (now.at - previous.at) / 1_000;
  const rate = seconds > 0 ? (now.published - (previous?.published ?? 0)) / seconds : 0;
  const tickets =
    now.openTickets === undefined
      ? 'tickets ?'
      : `tickets ${now.openTickets} open, ${now.openedSinceStart ?? 0} opened since start`;
  const errors = now.publishErrors > 0 ? `  publish errors ${now.publishErrors}` : '';
  const down = now.mqttDevices - now.expected;
  return [
    `${time(now.at)}  connected ${now.connected}/${now.expected}${down > 0 ? ` (${down} down by faults)` : ''} of ${now.totalDevices} devices`,
    `${rate.toFixed(1)} msg/s`,
    `faults ${now.faultsInjected}`,
    `${tickets}${errors}`,
  ].join('  ');
}

/** The parts of a ticket (GET /api/v1/tickets/:id) the simulator shows. */
export interface TicketDetail {
  readonly id: string;
  readonly number: string;
  readonly severity: string;
  readonly title: string;
  readonly status: string;
  readonly createdAt: string;
  readonly milestones: readonly {
    readonly code: string;
    readonly state: string;
    readonly dueAt: string | null;
  }[];
  readonly reservations: readonly {
    readonly partNumber: string;
    readonly qty: number;
    readonly status: string;
    readonly storeId: string | null;
    readonly tier: string | null;
    readonly eta: string | null;
  }[];
}

const MILESTONES_SHOWN = ['ACKNOWLEDGE', 'RESPOND', 'ARRIVE', 'RESOLVE'];

/** A new ticket, in a few lines: number, severity, title, due times, reserved parts. */
export function describeTicket(ticket: TicketDetail): string[] {
  const due = ticket.milestones
    .filter((m) => MILESTONES_SHOWN.includes(m.code) && m.dueAt !== null && m.state !== 'met')
    .map((m) => `${m.code.toLowerCase()} by ${time(Date.parse(m.dueAt as string))}Z`);
  const parts =
    ticket.reservations.length === 0
      ? ['no part reserved']
      : ticket.reservations.map(
          (r) =>
            `${r.qty} × ${r.partNumber} ${r.status}${r.storeId === null ? '' : ` from ${r.storeId} (${r.tier ?? '?'})`}${r.eta === null ? '' : `, there by ${time(Date.parse(r.eta))}Z`}`,
        );
  return [
    `ticket ${ticket.number} [${ticket.severity.toUpperCase()}] ${ticket.title}`,
    `  id ${ticket.id}, ${ticket.status}, opened ${time(Date.parse(ticket.createdAt))}Z`,
    `  due: ${due.length > 0 ? due.join(', ') : 'nothing pending'}`,
    `  parts: ${parts.join('; ')}`,
  ];
}

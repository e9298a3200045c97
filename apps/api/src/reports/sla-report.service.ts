import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildSlaReport } from '@orfleet/sla';
import type { Severity, Zone } from '@orfleet/sla';
import { CLOCK } from '../platform/clock';
import type { Clock } from '../platform/clock';
import type { LoggedEvent } from '../tickets/ticket-events.rules';
import { evaluateTicket } from '../tickets/ticket-sla.rules';
import type { SlaReportView } from './sla-report.dto';
import { ReportError, parseReportRange } from './sla-report.rules';

/**
 * The SLA report over the tickets created in a range: every ticket recomputed from its log as of
 * now (the log is the truth; the milestone rows are a cache), then libs/sla's report figures.
 */
@Injectable()
export class SlaReportService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async report(query: { from?: string; to?: string; site?: string }): Promise<SlaReportView> {
    const range = parseReportRange(query);
    const now = this.clock.now();
    return this.dataSource.transaction('REPEATABLE READ', async (m) => {
      let timeZone = 'UTC';
      if (query.site !== undefined) {
        const [site] = await m.query<{ timezone: string }[]>(
          'SELECT timezone FROM site WHERE id = $1',
          [query.site],
        );
        if (site === undefined)
          throw new ReportError('REPORT_INVALID', `site: no site ${query.site}`);
        timeZone = site.timezone;
      }
      const tickets = await m.query<
        { id: string; created_at: Date; severity: Severity; zone: Zone }[]
      >(
        `SELECT id, created_at, severity, zone FROM ticket
          WHERE created_at >= $1 AND created_at < $2 AND ($3::text IS NULL OR site_id = $3)
          ORDER BY created_at, id`,
        [new Date(range.from), new Date(range.to), query.site ?? null],
      );
      const rows = await m.query<
        { ticket_id: string; type: string; at: Date; actor: string; payload: object }[]
      >(
        `SELECT ticket_id, type, at, actor, payload FROM ticket_event
          WHERE ticket_id = ANY($1::uuid[]) ORDER BY ticket_id, seq`,
        [tickets.map((t) => t.id)],
      );
      const logs = new Map<string, LoggedEvent[]>();
      for (const r of rows) {
        const log = logs.get(r.ticket_id) ?? [];
        log.push({
          type: r.type,
          at: r.at.getTime(),
          actor: r.actor,
          payload: r.payload as Record<string, unknown>,
        });
        logs.set(r.ticket_id, log);
      }
      const results = tickets.map(
        (t) =>
          evaluateTicket(
            {
              ticketId: t.id,
              createdAt: t.created_at.getTime(),
              severity: t.severity,
              zone: t.zone,
            },
            logs.get(t.id) ?? [],
            now.getTime(),
          ).result,
      );
      const report = buildSlaReport(results, { timeZone });
      return {
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        site: query.site ?? null,
        timeZone,
        asOf: now.toISOString(),
        tickets: tickets.length,
        compliance: report.compliance.map((row) => ({ ...row })),
        meanTimeToAcknowledgeMs: report.meanTimeToAcknowledgeMs,
        meanTimeToRestoreMs: report.meanTimeToRestoreMs,
        remoteResolution: report.remoteResolution.map((row) => ({ ...row })),
      };
    });
  }
}

import { CONTRACT_POLICY, MILESTONE_CODES, SEVERITIES } from '@orfleet/sla';
import type { MilestoneDef, Severity } from '@orfleet/sla';
import { FINAL_STATUSES } from '../../../apps/api/src/tickets/ticket-events.rules';
import type { BoardDef } from '../model';
import { registryVariables, sqlChosen, sqlIn, sqlList } from './filters';

// contract: remote-resolution rate target 90 % (libs/sla reports.ts remoteResolutionByMonth)
export const REMOTE_RESOLUTION_TARGET = 0.9;

/**
 * Tickets in the chosen sites; a ticket on a device must be on a chosen device of a chosen kind
 * (site-level tickets have none and follow the site filter alone).
 */
const TICKET_FILTER = `${sqlIn('t.site_id', 'site')} AND (t.device_id IS NULL OR (${sqlIn('t.device_id', 'device')} AND ${sqlChosen('kind', (kinds) => `EXISTS (SELECT 1 FROM device k WHERE k.id = t.device_id AND k.kind = ANY(${kinds}))`)}))`;

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${ms / 60_000} min`;
}

/** The contract's target for one milestone and severity, as text. */
export function targetText(def: MilestoneDef, severity: Severity): string {
  const target = def.target;
  switch (target.type) {
    case 'fixed':
      return duration(target.ms);
    case 'by_severity':
      return duration(target.ms[severity]);
    case 'by_zone':
      return Object.entries(target.ms)
        .map(([zone, ms]) =>
          target.agreedZones.includes(zone as never) ? `${zone} agreed` : `${zone} ${duration(ms)}`,
        )
        .join(', ');
    case 'by_tier':
      return Object.entries(target.ms)
        .map(([tier, ms]) => `${tier} ${duration(ms)}`)
        .join(', ');
  }
}

/** The contract's targets as rows (code, severity, target) of a VALUES list. */
const CONTRACT_TARGETS = CONTRACT_POLICY.milestones
  .flatMap((def) =>
    SEVERITIES.map((severity) => `('${def.code}', '${severity}', '${targetText(def, severity)}')`),
  )
  .join(',\n    ');

const SEVERITY_ORDER = `array_position(ARRAY[${sqlList(SEVERITIES)}], t.severity)`;

export const TICKETS_SLA: BoardDef = {
  uid: 'orfleet-tickets-sla',
  title: 'Tickets and SLA',
  folder: 'service',
  file: 'tickets-and-sla.json',
  summary:
    'Are we keeping the service contract? Open tickets, breaches, compliance against the contract, MTTA/MTTR, remote resolution and parts.',
  tags: ['orfleet', 'service', 'sla'],
  time: { from: 'now-30d', to: 'now' },
  refresh: '5m',
  // retired devices too: their tickets stay in the contract's figures
  variables: registryVariables('all'),
  rows: [
    {
      title: 'Open work',
      panels: [
        {
          title: 'Open tickets by severity',
          question: 'How many tickets are open now, by severity?',
          kind: 'stat',
          datasource: 'pg',
          queries: [
            {
              text: `SELECT s.severity, count(t.id)::int AS open
FROM unnest(ARRAY[${sqlList(SEVERITIES)}]) WITH ORDINALITY AS s(severity, ord)
LEFT JOIN ticket t ON t.severity = s.severity AND t.status NOT IN (${sqlList(FINAL_STATUSES)})
  AND ${TICKET_FILTER}
GROUP BY s.severity, s.ord
ORDER BY s.ord`,
              format: 'table',
            },
          ],
          width: 8,
          height: 8,
          eachRow: '/^open$/',
        },
        {
          title: 'Open tickets, next due first',
          question:
            'Which open tickets need attention first, and how long until their next SLA deadline (negative: overdue)?',
          kind: 'table',
          datasource: 'pg',
          queries: [
            {
              text: `SELECT t.number, t.severity, t.status, t.site_id AS site, t.device_id AS device, t.title,
  t.next_due_at,
  round(extract(epoch FROM (t.next_due_at - $__timeTo()::timestamptz)) / 60)::int AS due_in_min,
  t.breached, t.at_risk
FROM ticket t
WHERE t.status NOT IN (${sqlList(FINAL_STATUSES)}) AND ${TICKET_FILTER}
ORDER BY t.next_due_at ASC NULLS LAST, ${SEVERITY_ORDER}, t.created_at`,
              format: 'table',
            },
          ],
          width: 16,
          height: 8,
        },
      ],
    },
    {
      title: 'Contract',
      panels: [
        {
          title: 'Breaches this month by milestone',
          question: 'Which SLA milestones were breached this month, by severity?',
          kind: 'table',
          datasource: 'pg',
          queries: [
            {
              text: `SELECT m.code AS milestone, t.severity, count(*)::int AS breaches
FROM ticket_milestone m
JOIN ticket t ON t.id = m.ticket_id
WHERE $__timeFilter(m.breached_at) AND ${TICKET_FILTER}
GROUP BY m.code, t.severity, ${SEVERITY_ORDER}
ORDER BY breaches DESC, m.code, ${SEVERITY_ORDER}`,
              format: 'table',
            },
          ],
          width: 8,
          height: 9,
          timeFrom: 'now/M',
        },
        {
          title: 'Compliance against the contract',
          question:
            'Of the milestones decided for tickets opened in the range, what share met the contract target, per milestone and severity?',
          kind: 'table',
          datasource: 'pg',
          queries: [
            {
              // as libs/sla complianceByMilestone: only met, breached and violated count
              text: `WITH target(code, severity, target) AS (VALUES
    ${CONTRACT_TARGETS}
)
SELECT m.code AS milestone, m.severity, min(c.target) AS target,
  count(*) FILTER (WHERE m.state = 'met')::int AS met,
  count(*) FILTER (WHERE m.state = 'breached')::int AS breached,
  count(*) FILTER (WHERE m.state = 'violated')::int AS violated,
  round(count(*) FILTER (WHERE m.state = 'met')::numeric / count(*), 4)::float AS compliance
FROM ticket_milestone m
JOIN ticket t ON t.id = m.ticket_id
LEFT JOIN target c ON c.code = m.code AND c.severity = m.severity
WHERE m.state IN ('met', 'breached', 'violated') AND $__timeFilter(t.created_at) AND ${TICKET_FILTER}
GROUP BY m.code, m.severity
ORDER BY array_position(ARRAY[${sqlList(MILESTONE_CODES)}], m.code), array_position(ARRAY[${sqlList(SEVERITIES)}], m.severity)`,
              format: 'table',
            },
          ],
          width: 16,
          height: 9,
          unit: 'percentunit',
          thresholds: [
            { value: null, color: 'red' },
            { value: 0.9, color: 'orange' },
            { value: 0.95, color: 'green' },
          ],
        },
        {
          title: 'MTTA and MTTR',
          question:
            'How fast do we acknowledge (first contact) and restore service? Daily means over tickets opened that day, cancelled ones left out.',
          kind: 'timeseries',
          datasource: 'pg',
          queries: [
            {
              text: `SELECT $__timeGroupAlias(t.created_at, 1d),
  avg(extract(epoch FROM (t.acknowledged_at - t.created_at)) / 60) AS mtta_min,
  avg(extract(epoch FROM (t.restored_at - t.created_at)) / 60) AS mttr_min
FROM ticket t
WHERE $__timeFilter(t.created_at) AND t.status <> 'cancelled' AND ${TICKET_FILTER}
GROUP BY 1
ORDER BY 1`,
              format: 'time_series',
            },
          ],
          width: 12,
          height: 8,
          unit: 'm',
          min: 0,
        },
        {
          title: 'Remote resolution rate',
          question: `What share of the tickets restored was restored without an engineer on site (contract target ${REMOTE_RESOLUTION_TARGET * 100} %)?`,
          kind: 'stat',
          datasource: 'pg',
          queries: [
            {
              // as the SLA engine's restoredRemotely: no visit arrived before the restore
              text: `SELECT count(*)::int AS restored,
  count(*) FILTER (WHERE NOT EXISTS (
    SELECT 1 FROM ticket_event e
     WHERE e.ticket_id = t.id AND e.type = 'arrive' AND e.at <= t.restored_at))::int AS remote,
  round(count(*) FILTER (WHERE NOT EXISTS (
    SELECT 1 FROM ticket_event e
     WHERE e.ticket_id = t.id AND e.type = 'arrive' AND e.at <= t.restored_at))::numeric
    / NULLIF(count(*), 0), 4)::float AS rate
FROM ticket t
WHERE t.restored_at IS NOT NULL AND t.status <> 'cancelled' AND $__timeFilter(t.created_at)
  AND ${TICKET_FILTER}`,
              format: 'table',
            },
          ],
          width: 12,
          height: 8,
          unit: 'percentunit',
          thresholds: [
            { value: null, color: 'red' },
            { value: REMOTE_RESOLUTION_TARGET, color: 'green' },
          ],
          eachRow: '/^rate$/',
        },
      ],
    },
    {
      title: 'Parts',
      panels: [
        {
          title: 'Reservations by tier and backorders',
          question:
            'Where do the parts for open work come from (hospital, regional, national store) and how many are backordered?',
          kind: 'table',
          datasource: 'pg',
          queries: [
            {
              text: `SELECT COALESCE(r.tier, 'backorder') AS tier, r.status, count(*)::int AS reservations,
  sum(r.qty)::int AS parts, min(r.eta) AS next_eta
FROM reservation r
JOIN ticket t ON t.id = r.ticket_id
WHERE r.status IN ('reserved', 'backordered', 'delivered') AND ${TICKET_FILTER}
GROUP BY 1, 2
ORDER BY array_position(ARRAY['hospital', 'regional', 'national', 'backorder'], COALESCE(r.tier, 'backorder')), 2`,
              format: 'table',
            },
          ],
          width: 24,
          height: 8,
        },
      ],
    },
  ],
};

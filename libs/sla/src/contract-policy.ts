import type { MilestoneDef, SlaPolicy } from './policy';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// ServiceNow's default SLA flows notify at 50 % and 75 % (research/sla-tickets.md 1.4).
const WARNINGS = [0.5, 0.75] as const;

const milestones: readonly MilestoneDef[] = [
  {
    code: 'ACKNOWLEDGE',
    name: 'Call the reporter back and confirm the symptom',
    scope: 'ticket',
    startsOn: [{ on: 'ticket_created' }],
    // contract (product decisions): met by the first logged human contact with the reporter
    stopsOn: [{ on: 'contact_logged' }],
    cancelOn: [],
    target: { type: 'fixed', ms: 15 * MINUTE }, // contract: acknowledge 15 min
    kind: 'deadline',
    pauseReasons: [],
    warnings: WARNINGS,
    source: 'contract.md On-site service milestones: acknowledge',
  },
  {
    code: 'RESPOND',
    name: 'Engineer engaged',
    scope: 'ticket',
    startsOn: [{ on: 'ticket_created' }],
    // contract (product decisions): remote work started or a visit dispatched, whichever first
    stopsOn: [{ on: 'remote_work_started' }, { on: 'visit_dispatched' }],
    cancelOn: [],
    // contract: respond red 30 min, yellow 2 h, green 4 h
    target: { type: 'by_severity', ms: { red: 30 * MINUTE, yellow: 2 * HOUR, green: 4 * HOUR } },
    kind: 'deadline',
    pauseReasons: [],
    warnings: WARNINGS,
    source: 'contract.md Ticket levels: respond within',
  },
  {
    code: 'ARRIVE',
    name: 'Engineer on site',
    scope: 'visit',
    // contract (product decisions): arrival counts from the dispatch of a visit
    startsOn: [{ on: 'visit_dispatched' }],
    stopsOn: [{ on: 'visit_arrived' }],
    cancelOn: [{ on: 'visit_cancelled' }],
    target: {
      type: 'by_zone',
      // contract: city 2 h, suburb 4 h; remote sites agreed ahead. Platform default when no
      // arrival was agreed at dispatch: 24 h (a product choice, not a contract number).
      ms: { city: 2 * HOUR, suburb: 4 * HOUR, remote: 24 * HOUR },
      agreedZones: ['remote'],
    },
    kind: 'deadline',
    // The hospital may ask the engineer to come later; that is its time, not ours.
    pauseReasons: ['customer_request'],
    warnings: WARNINGS,
    source: 'contract.md On-site service milestones: dispatch / arrive on site',
  },
  {
    code: 'DIAGNOSE',
    name: 'First diagnosis on site',
    scope: 'visit',
    startsOn: [{ on: 'visit_arrived' }],
    stopsOn: [{ on: 'visit_diagnosed' }],
    cancelOn: [{ on: 'visit_cancelled' }],
    target: { type: 'fixed', ms: 1 * HOUR }, // contract: diagnose within 1 h of arrival
    kind: 'deadline',
    pauseReasons: ['or_in_use', 'no_site_access'],
    warnings: WARNINGS,
    source: 'contract.md On-site service milestones: diagnose',
  },
  {
    code: 'REPLACE_PARTS',
    name: 'Spare part replaced',
    // Ticket scope: the part often goes in on a later visit than the one that diagnosed it.
    scope: 'ticket',
    startsOn: [{ on: 'visit_diagnosed', where: { needsParts: true } }],
    stopsOn: [{ on: 'parts_replaced' }],
    cancelOn: [],
    target: { type: 'fixed', ms: 48 * HOUR }, // contract: common parts replaced within 48 h
    kind: 'deadline',
    pauseReasons: ['or_in_use', 'no_site_access', 'customer_request'],
    warnings: WARNINGS,
    source: 'contract.md On-site service milestones: replace spare part',
  },
  {
    code: 'PART_DELIVERY',
    name: 'Reserved part delivered',
    scope: 'reservation',
    startsOn: [{ on: 'part_reserved' }],
    stopsOn: [{ on: 'part_delivered' }],
    cancelOn: [{ on: 'part_released' }],
    target: {
      type: 'by_tier',
      // contract: urgent parts within 2 h (regional), special parts within 48 h (national).
      // The hospital store is on site ("about 0"): 15 min to fetch it is a product choice.
      ms: { hospital: 15 * MINUTE, regional: 2 * HOUR, national: 48 * HOUR },
    },
    kind: 'deadline',
    pauseReasons: [],
    warnings: WARNINGS,
    source: 'contract.md Spare parts: delivery',
  },
  {
    code: 'VERIFY',
    name: 'Stress test after the repair',
    scope: 'visit',
    startsOn: [{ on: 'verification_started' }],
    stopsOn: [{ on: 'verification_passed' }],
    // A failed test sends the engineer back to repair; the next start is a new cycle.
    cancelOn: [{ on: 'verification_failed' }, { on: 'visit_cancelled' }],
    target: { type: 'fixed', ms: 2 * HOUR }, // contract: a 2-hour stress test after the repair
    kind: 'min_duration',
    pauseReasons: [],
    warnings: [],
    source: 'contract.md On-site service milestones: verify recovery',
  },
  {
    code: 'RESOLVE',
    name: 'Service restored',
    scope: 'ticket',
    startsOn: [{ on: 'ticket_created' }],
    // contract (product decisions): met by remote fix, swap unit or loaner device in place
    stopsOn: [{ on: 'service_restored' }],
    cancelOn: [],
    // contract: resolve red 4 h, yellow 24 h, green 48 h
    target: { type: 'by_severity', ms: { red: 4 * HOUR, yellow: 24 * HOUR, green: 48 * HOUR } },
    kind: 'deadline',
    // contract: waiting for a part does not pause Resolve (so no `awaiting_part` here)
    pauseReasons: ['or_in_use', 'no_site_access'],
    warnings: WARNINGS,
    source: 'contract.md Ticket levels: resolve within',
  },
  {
    code: 'REPORT',
    name: 'Written fault report',
    scope: 'visit',
    startsOn: [{ on: 'visit_departed' }],
    stopsOn: [{ on: 'report_submitted' }],
    cancelOn: [],
    target: { type: 'fixed', ms: 24 * HOUR }, // contract: report within 24 h of leaving site
    kind: 'deadline',
    pauseReasons: [],
    warnings: WARNINGS,
    source: 'contract.md On-site service milestones: fault report',
  },
];

/** The service contract of contract.md as an SLA policy (7x24 clocks). */
export const CONTRACT_POLICY: SlaPolicy = {
  id: 'orfleet-or-service-contract',
  version: 1,
  calendar: '24x7', // contract (product decisions): every clock runs 7x24
  milestones,
  forecast: {
    // Product assumption, not a contract number: 1 h to fit a delivered part.
    installMs: 1 * HOUR,
    milestones: { REPLACE_PARTS: 'installed', RESOLVE: 'verified' },
  },
};

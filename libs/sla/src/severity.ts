/** Ticket level from the service contract (contract.md "Ticket levels"). */
export const SEVERITIES = ['red', 'yellow', 'green'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Hospital zone, which sets the on-site arrival target (contract.md "On-site service milestones"). */
export const ZONES = ['city', 'suburb', 'remote'] as const;
export type Zone = (typeof ZONES)[number];

/** Spare-parts store tier (contract.md "Spare parts"). */
export const STORE_TIERS = ['hospital', 'regional', 'national'] as const;
export type StoreTier = (typeof STORE_TIERS)[number];

import type { StoreTier } from '@orfleet/sla';
import type { ReplenishmentRequest } from './replenishment-request.entity';

export interface StoreShape {
  readonly tier: StoreTier;
  readonly siteId?: string | null | undefined;
  readonly region?: string | null | undefined;
}

/**
 * What is wrong with a store's tier/site/region combination (empty when fine): a hospital store
 * belongs to one site, a regional store to one region, the national store to neither.
 */
export function storeShapeProblems(store: StoreShape): string[] {
  const hasSite = store.siteId !== undefined && store.siteId !== null;
  const hasRegion = store.region !== undefined && store.region !== null;
  const problems: string[] = [];
  switch (store.tier) {
    case 'hospital':
      if (!hasSite) problems.push('a hospital store needs siteId');
      if (hasRegion) problems.push("a hospital store takes its site's region: omit region");
      break;
    case 'regional':
      if (!hasRegion) problems.push('a regional store needs region');
      if (hasSite) problems.push('a regional store serves a region, not a site: omit siteId');
      break;
    case 'national':
      if (hasSite || hasRegion) problems.push('the national store has no siteId and no region');
      break;
  }
  return problems;
}

export type ReplenishmentStatus = ReplenishmentRequest['status'];

const REPLENISHMENT_NEXT: Readonly<Record<ReplenishmentStatus, readonly ReplenishmentStatus[]>> = {
  open: ['ordered', 'received', 'cancelled'],
  ordered: ['received', 'cancelled'],
  received: [],
  cancelled: [],
};

export function replenishmentTransitionAllowed(
  from: ReplenishmentStatus,
  to: ReplenishmentStatus,
): boolean {
  return REPLENISHMENT_NEXT[from].includes(to);
}

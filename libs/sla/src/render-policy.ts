import type { MilestoneDef, SlaPolicy, TargetRule, Trigger } from './policy';

/** `15 min`, `2 h`, `1 h 30 min`; sub-minute amounts in ms. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 !== 0) return `${ms} ms`;
  const minutes = ms / 60_000;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

function renderTrigger(trigger: Trigger): string {
  const where = Object.entries(trigger.where ?? {})
    .map(([field, value]) => `${field}=${String(value)}`)
    .join(', ');
  return where === '' ? `\`${trigger.on}\`` : `\`${trigger.on}\` (${where})`;
}

const triggers = (list: readonly Trigger[]): string =>
  list.length === 0 ? '—' : list.map(renderTrigger).join(' or ');

function renderTarget(target: TargetRule, def: MilestoneDef): string {
  const prefix = def.kind === 'min_duration' ? '≥ ' : '';
  const pairs = (ms: Readonly<Record<string, number>>, agreed: readonly string[] = []): string =>
    Object.entries(ms)
      .map(([name, value]) =>
        agreed.includes(name)
          ? `${name}: as agreed at dispatch, else ${formatDuration(value)}`
          : `${name} ${formatDuration(value)}`,
      )
      .join(', ');
  switch (target.type) {
    case 'fixed':
      return `${prefix}${formatDuration(target.ms)}`;
    case 'by_severity':
      return pairs(target.ms);
    case 'by_zone':
      return pairs(target.ms, target.agreedZones);
    case 'by_tier':
      return pairs(target.ms);
  }
}

function renderRow(def: MilestoneDef): string {
  const starts =
    triggers(def.startsOn) +
    (def.target.type === 'by_severity' ? '; restarts on `severity_changed`' : '');
  const stops =
    triggers(def.stopsOn) +
    (def.cancelOn.length > 0 ? `; cancelled by ${triggers(def.cancelOn)}` : '');
  const cells = [
    `\`${def.code}\``,
    def.scope,
    starts,
    stops,
    renderTarget(def.target, def),
    def.kind,
    def.pauseReasons.length === 0 ? 'none' : def.pauseReasons.map((r) => `\`${r}\``).join(', '),
    def.warnings.length === 0
      ? '—'
      : def.warnings.map((w) => `${Math.round(w * 100)} %`).join(', '),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The policy as a markdown table; docs/sla.md embeds it between policy-table markers. */
export function renderPolicyTable(policy: SlaPolicy): string {
  return [
    `Policy \`${policy.id}\` version ${policy.version}, calendar \`${policy.calendar}\`.`,
    '',
    '| milestone | scope | starts on | stops on | target | kind | pause reasons | warnings |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...policy.milestones.map(renderRow),
  ].join('\n');
}

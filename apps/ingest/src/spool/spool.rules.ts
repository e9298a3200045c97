// The spool's decisions, free of I/O: when a gathered group is committed, whether a record is
// admitted under the disk quota, and when a full spool takes records again.

export interface SpoolLimits {
  /** Bytes of pending records (UTF-8 line protocol) the spool holds at most. */
  readonly quotaBytes: number;
  /** Once full, the spool takes records again at or below this many pending bytes. */
  readonly resumeBytes: number;
}

/** Full resumes at 90 % of the quota, so the ingest does not flap between acking and not. */
export const RESUME_RATIO = 0.9;

export function spoolLimits(quotaBytes: number, resumeRatio = RESUME_RATIO): SpoolLimits {
  return { quotaBytes, resumeBytes: Math.floor(quotaBytes * resumeRatio) };
}

export type Admission =
  | { readonly admitted: true; readonly full: false }
  | { readonly admitted: false; readonly full: boolean; readonly reason: 'full' | 'too-large' };

/**
 * Whether a record of `bytes` may join the spool, which holds `usedBytes` (committed plus
 * gathered, not yet committed). Past the quota the record is refused and the spool turns full;
 * while full everything is refused until `stillFull` says otherwise. A refused record that alone
 * would not fit leaves a spool at or below the resume mark not-full: smaller records still fit,
 * and removals will make room for this one. A record larger than the whole quota never fits.
 */
export function admit(
  limits: SpoolLimits,
  full: boolean,
  usedBytes: number,
  bytes: number,
): Admission {
  if (bytes > limits.quotaBytes) return { admitted: false, full, reason: 'too-large' };
  if (full) return { admitted: false, full: true, reason: 'full' };
  if (usedBytes + bytes <= limits.quotaBytes) return { admitted: true, full: false };
  return { admitted: false, full: usedBytes > limits.resumeBytes, reason: 'full' };
}

/** After records left the spool: whether it is still full (hysteresis down to `resumeBytes`). */
export function stillFull(limits: SpoolLimits, full: boolean, usedBytes: number): boolean {
  return full && usedBytes > limits.resumeBytes;
}

export type GroupStep = 'commit-now' | 'start-window' | 'wait';

/**
 * What to do once a record joined the group being gathered: commit at `maxGroup` records, else
 * open the group-commit window on the group's first record, else keep gathering.
 */
export function afterAppend(groupLength: number, windowOpen: boolean, maxGroup: number): GroupStep {
  if (groupLength >= maxGroup) return 'commit-now';
  return windowOpen ? 'wait' : 'start-window';
}

export interface SpoolSettings {
  readonly dir: string;
  readonly quotaBytes: number;
  readonly groupCommitMs: number;
  readonly maxGroup: number;
  readonly resumeRatio: number;
}

/** Every problem with the settings, empty when they are usable. */
export function settingsProblems(s: SpoolSettings): string[] {
  const problems: string[] = [];
  if (s.dir.trim() === '') problems.push('dir is empty');
  if (!Number.isSafeInteger(s.quotaBytes) || s.quotaBytes <= 0)
    problems.push(`quotaBytes must be a positive integer, got ${s.quotaBytes}`);
  if (!Number.isFinite(s.groupCommitMs) || s.groupCommitMs < 0)
    problems.push(`groupCommitMs must be ≥ 0, got ${s.groupCommitMs}`);
  if (!Number.isSafeInteger(s.maxGroup) || s.maxGroup < 1)
    problems.push(`maxGroup must be an integer ≥ 1, got ${s.maxGroup}`);
  if (!(s.resumeRatio >= 0 && s.resumeRatio <= 1))
    problems.push(`resumeRatio must be within [0, 1], got ${s.resumeRatio}`);
  return problems;
}

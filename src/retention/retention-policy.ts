import type { ImageRecord } from '../storage/image-record.js';

export const DAY_MS = 86_400_000;

/**
 * What a sidecar says of an image for retention, which time does not change: no analysis yet, a
 * verdict kept the usual time, a verdict kept longer (defect, uncertain), or a person's review.
 */
export type ImageKind = 'unanalysed' | 'normal' | 'kept-longer' | 'reviewed';

/** How retention treats an image now: removable after the usual time, after the longer one, or never. */
export type RetentionClass = 'normal' | 'kept-longer' | 'protected';

/** Why an image is removed. */
export type PruneReason = 'age' | 'size' | 'disk';

export const PRUNE_REASONS: readonly PruneReason[] = ['age', 'size', 'disk'];

/**
 * The kind of an image from its sidecar. "Waiting for analysis" is the classifier's own rule: a
 * sidecar without `analysis` (it queues exactly those again at start-up).
 */
export function kindOf(record: Pick<ImageRecord, 'analysis' | 'review'>): ImageKind {
  if (record.review !== undefined && record.review !== null) return 'reviewed';
  if (record.analysis === undefined) return 'unanalysed';
  const verdict = (record.analysis as { verdict?: unknown } | null)?.verdict;
  return verdict === 'defect' || verdict === 'uncertain' ? 'kept-longer' : 'normal';
}

/** The age limits and what counts as waiting for analysis. */
export interface RetentionPolicy {
  /** Images of kind `normal` (and unanalysed ones no classifier will reach) older than this go; Infinity: never. */
  readonly maxAgeMs: number;
  /** Defect and uncertain verdicts older than this go; Infinity: never. */
  readonly keptLongerMaxAgeMs: number;
  /**
   * Unanalysed images of the last this many days (today included) are waiting for analysis: the
   * classifier queues them at its next start (ANALYSIS_BACKLOG_DAYS). 0: analysis is off, none waits.
   */
  readonly pendingDays: number;
}

export function retentionPolicyFrom(settings: {
  readonly RETENTION_MAX_AGE_DAYS: number;
  readonly RETENTION_DEFECT_MAX_AGE_DAYS: number;
  readonly ANALYSIS_ENABLED: boolean;
  readonly ANALYSIS_BACKLOG_DAYS: number;
}): RetentionPolicy {
  const limit = (days: number) => (days === 0 ? Infinity : days * DAY_MS);
  const maxAgeMs = limit(settings.RETENTION_MAX_AGE_DAYS);
  return {
    maxAgeMs,
    // Kept longer, never shorter: with no limit for the others, none for these either.
    keptLongerMaxAgeMs: maxAgeMs === Infinity ? Infinity : limit(settings.RETENTION_DEFECT_MAX_AGE_DAYS),
    // Images queued live wait too, so today's always count while analysis is on.
    pendingDays: settings.ANALYSIS_ENABLED ? Math.max(1, settings.ANALYSIS_BACKLOG_DAYS) : 0,
  };
}

/** Whether unanalysed images stored on `day` (yyyy-mm-dd) are still waiting for analysis at `now`. */
export function isPendingDay(day: string, now: number, policy: RetentionPolicy): boolean {
  if (policy.pendingDays === 0) return false;
  return day >= new Date(now - (policy.pendingDays - 1) * DAY_MS).toISOString().slice(0, 10);
}

export function classOf(kind: ImageKind, day: string, now: number, policy: RetentionPolicy): RetentionClass {
  switch (kind) {
    case 'reviewed':
      return 'protected';
    case 'unanalysed':
      return isPendingDay(day, now, policy) ? 'protected' : 'normal';
    default:
      return kind;
  }
}

/**
 * How fast images kept longer age, against the others, when room is needed: in the ratio of their
 * limits (kept 90 days against 30: a third as fast), so that a full store keeps defects three
 * times as far back as passes, and the newest of both. Without limits, both age alike; with a
 * limit for the others only, images kept longer go last.
 */
export function keptLongerPace(policy: RetentionPolicy): number {
  if (policy.maxAgeMs === Infinity) return 1;
  if (policy.keptLongerMaxAgeMs === Infinity) return 0;
  return policy.maxAgeMs / policy.keptLongerMaxAgeMs;
}

const dayStarts = new Map<string, number>();

/** When an image was accepted, from its day folder and its file name (`hhmmssmmm-<transfer id>`). */
export function acceptedAtOf(day: string, stem: string): number {
  let start = dayStarts.get(day);
  if (start === undefined) {
    if (dayStarts.size > 1000) dayStarts.clear();
    dayStarts.set(day, (start = Date.parse(day)));
  }
  const digits = (from: number, to: number) => Number(stem.slice(from, to));
  return start + digits(0, 2) * 3_600_000 + digits(2, 4) * 60_000 + digits(4, 6) * 1000 + digits(6, 9);
}

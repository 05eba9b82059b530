import { retentionPolicyFrom } from '../retention-policy.js';
import type { RetentionWorkerData } from '../worker-messages.js';

/**
 * What the retention thread is started with under the default policy (30 and 90 days, analysis
 * on, a backlog of 7 days), no cap and no free-space floor unless `overrides` says so: for running
 * the engine in tests and the benchmark as the thread runs it.
 */
export function testWorkerData(
  root: string,
  overrides: Partial<RetentionWorkerData> = {},
): RetentionWorkerData {
  return {
    root,
    policy: retentionPolicyFrom({
      RETENTION_MAX_AGE_DAYS: 30,
      RETENTION_DEFECT_MAX_AGE_DAYS: 90,
      ANALYSIS_ENABLED: true,
      ANALYSIS_BACKLOG_DAYS: 7,
    }),
    settings: { RETENTION_MAX_BYTES: '0', MIN_FREE_DISK_BYTES: 0, MAX_IMAGE_BYTES: 524_288 },
    startedAt: Date.now(),
    countedBefore: Date.now(),
    nice: 0,
    feedFound: false,
    recordsFromDay: undefined,
    ...overrides,
  };
}

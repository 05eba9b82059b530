import type { ImageKind, PruneReason, RetentionPolicy } from './retention-policy.js';
import type { PassReport } from './pruner.js';
import type { RoomTargets } from './room-targets.js';
import type { FoundImage, Orphan } from './store-scan.js';

/** What the retention thread is started with. */
export interface RetentionWorkerData {
  readonly root: string;
  readonly policy: RetentionPolicy;
  readonly settings: {
    readonly RETENTION_MAX_BYTES: string;
    readonly MIN_FREE_DISK_BYTES: number;
    readonly MAX_IMAGE_BYTES: number;
  };
  /** Files changed before this (epoch ms: when the process started) are a previous process's. */
  readonly startedAt: number;
  /** Images changed before this (when the thread was started) are counted by the scan, later ones by `stored`. */
  readonly countedBefore: number;
  /** Niceness of the thread (0: leave it). */
  readonly nice: number;
  /** Whether the scan sends what it finds (`found` messages, one per `scan-more`). */
  readonly feedFound: boolean;
  /** With `feedFound`, sidecars are read for days from this one on. */
  readonly recordsFromDay: string | undefined;
}

export type ToRetentionWorker =
  | { readonly type: 'stored'; readonly day: string; readonly device: string; readonly stem: string }
  | {
      readonly type: 'updated';
      readonly day: string;
      readonly device: string;
      readonly stem: string;
      /** Sidecar sizes in bytes before and after. */
      readonly before: number;
      readonly after: number;
      readonly kind: ImageKind;
    }
  /** The images of the last `found` message were taken: the scan may go on. */
  | { readonly type: 'scan-more' }
  | { readonly type: 'stop' };

export type FromRetentionWorker =
  | { readonly type: 'targets'; readonly targets: RoomTargets; readonly fileSystemBytes: number | undefined }
  | { readonly type: 'totals'; readonly bytes: number; readonly images: number; readonly scanned: boolean }
  | { readonly type: 'removed'; readonly reason: PruneReason; readonly imageIds: string[] }
  | { readonly type: 'pass'; readonly report: PassReport; readonly durationMs: number }
  | { readonly type: 'orphans'; readonly orphans: Orphan[] }
  | { readonly type: 'found'; readonly images: FoundImage[] }
  | {
      readonly type: 'scan-progress';
      readonly images: number;
      readonly bytes: number;
      readonly days: number;
      readonly ofDays: number;
    }
  | {
      readonly type: 'scanned';
      readonly images: number;
      readonly bytes: number;
      readonly days: number;
      readonly orphans: number;
      readonly temporaryRemoved: number;
      readonly durationMs: number;
    }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'stopped' };

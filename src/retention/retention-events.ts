import { EventEmitter } from 'node:events';
import type { PassReport } from './pruner.js';
import type { Orphan } from './store-scan.js';

/** What the start-up scan found, once it is over. */
export interface ScanSummary {
  readonly images: number;
  readonly bytes: number;
  readonly days: number;
  /** Halves of images a crash left, removed (see `ImageStore.removeOrphan`). */
  readonly imagesWithoutSidecar: number;
  readonly sidecarsWithoutImage: number;
  readonly temporaryRemoved: number;
  readonly durationMs: number;
}

/** What retention does, for its log and metrics. */
export interface RetentionEventMap {
  /** A pruning pass removed images, or could not make the room wanted. */
  pass: [report: PassReport, durationMs: number];
  scanProgress: [images: number, bytes: number, days: number, ofDays: number];
  scanned: [summary: ScanSummary];
  /** Half an image a crash left was removed at start-up. */
  reconciled: [orphan: Orphan];
  /** The retention thread failed (it is started again). */
  failed: [message: string];
}

export class RetentionEvents extends EventEmitter<RetentionEventMap> {}

import { EventEmitter } from 'node:events';
import type { Verdict } from '#protocol';
import type { ImageRecord } from '../storage/image-record.js';

/** What the classifier does, for logs and metrics. */
export interface ClassificationEventMap {
  /** An image was analysed (or found undecodable); `seconds` is decode + inference, queueing excluded. */
  classified: [verdict: Verdict | 'undecodable' | 'unavailable', label: string, seconds: number];
  /** An image's analysis is recorded in its sidecar: `record` is the sidecar as now written. */
  analysed: [record: ImageRecord];
  /** A device confirmed its analysis result after `attempts` sends. */
  confirmed: [attempts: number];
}

export class ClassificationEvents extends EventEmitter<ClassificationEventMap> {}

import { EventEmitter } from 'node:events';
import type { ImageRecord } from '../storage/image-record.js';
import type { DeviceSummary } from './device-registry.js';
import type { ImageSummary } from './image-summary.js';

/** What the results service passes on, for the feeds that carry results out (MQTT, webhook). */
export interface ResultsEventMap {
  /** An image stored while the gateway runs. */
  stored: [summary: ImageSummary];
  /** An analysis recorded while the gateway runs. */
  analysed: [summary: ImageSummary, record: ImageRecord];
  /** A device's state changed (an image of it stored or analysed). */
  device: [device: DeviceSummary];
}

export class ResultsEvents extends EventEmitter<ResultsEventMap> {}

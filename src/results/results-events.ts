import { EventEmitter } from 'node:events';
import type { ImageRecord } from '../storage/image-record.js';
import type { ImageSummary } from './image-summary.js';

/** What the results service passes on, for the feeds that carry results out (MQTT, webhook). */
export interface ResultsEventMap {
  /** An analysis recorded while the gateway runs. */
  analysed: [summary: ImageSummary, record: ImageRecord];
  /** The start-up scan is done: the index holds what the disk had. */
  indexed: [];
}

export class ResultsEvents extends EventEmitter<ResultsEventMap> {}

/**
 * Messages between the gateway and its classifier process (over the child's IPC channel, JSON).
 *
 * The process owns every image's way from "stored" to "analysis recorded": it takes fresh images
 * from the gateway, finds the stored-but-unanalysed ones itself (the backlog scan), classifies them
 * and records each analysis in the image's sidecar. The gateway pushes the verdicts to the cameras
 * and tells everyone else (events, metrics, logs). A model is a thing the process holds, so loading
 * another one (a swap, a shadow model beside the active one) is one more message, not a restart.
 */
import type { LogLevel } from '../config/index.js';
import type { ImageRecord } from '../storage/image-record.js';
import type { AnalysisRecord } from './analysis-record.js';
import type { ModelChoice, WorkerModels, WorkerOptions } from './worker-protocol.js';

/** Everything the classifier process needs, sent once with `start`. */
export interface ClassifierSettings extends WorkerOptions {
  readonly storageDir: string;
  readonly workers: number;
  readonly queueMax: number;
  readonly batchMax: number;
  readonly passLabels: string;
  readonly confidenceThreshold: number;
  /** Stored images of this many recent days without analysis are classified (0: none). */
  readonly backlogDays: number;
  /** Niceness of every thread of the process (0: left alone). */
  readonly nice: number;
  /** Run under SCHED_IDLE (Linux), on top of the niceness. */
  readonly idlePolicy: boolean;
}

/** An image for the classifier: its sidecar (the JPEG is beside it) and what the sidecar says. */
export interface ImageToAnalyse {
  readonly sidecarPath: string;
  readonly record: ImageRecord;
  /** When it was queued (epoch ms): the analysis's `queuedMs` runs from here. */
  readonly queuedAt: number;
}

/** One image analysed: the result the gateway pushes, before the sidecar is written. */
export interface AnalysedImage {
  readonly sidecarPath: string;
  readonly record: ImageRecord;
  readonly analysis: AnalysisRecord;
  /** The shadow model's analysis, recorded beside (never pushed). */
  readonly shadow?: AnalysisRecord;
}

/** How much work the process holds, carried by every message it sends after `ready`. */
export interface ClassifierLoad {
  /** Images waiting for a worker (fresh and backlog). */
  readonly waiting: number;
  /** Images being classified or recorded. */
  readonly busy: number;
}

export type ToClassifier =
  /** The answer to `listening`: load the model and start. `giveUp`: sidecars to record as failed first. */
  | {
      readonly type: 'start';
      readonly settings: ClassifierSettings;
      readonly giveUp: readonly { readonly sidecarPath: string; readonly message: string }[];
    }
  | { readonly type: 'analyse'; readonly images: readonly ImageToAnalyse[] }
  /** Images the gateway could not hand over (queue full) lie on disk: scan for them once idle. */
  | { readonly type: 'rescan' }
  /** Run these models from now on (a swap of the active one, a shadow one beside it or none). */
  | { readonly type: 'use-models'; readonly requestId: number; readonly models: ModelChoice }
  /** Finish recording what is analysed, take nothing more, exit. */
  | { readonly type: 'stop' };

export type FromClassifier =
  /** First message: the process listens (one sent before would be lost), `start` may come. */
  | { readonly type: 'listening' }
  | { readonly type: 'ready'; readonly models: WorkerModels }
  /** The answer to `use-models`: every worker runs them now, or none does (`message`: why). */
  | { readonly type: 'models-used'; readonly requestId: number; readonly models: WorkerModels }
  | { readonly type: 'models-refused'; readonly requestId: number; readonly message: string }
  | { readonly type: 'load-failed'; readonly message: string }
  /** A batch went to a worker: if the process dies now, these are the images it was on. */
  | ({ readonly type: 'batch'; readonly sidecarPaths: readonly string[] } & ClassifierLoad)
  | ({ readonly type: 'analysed'; readonly images: readonly AnalysedImage[] } & ClassifierLoad)
  /** How much work it holds, when that changed without a batch (the backlog scan found images). */
  | ({ readonly type: 'load' } & ClassifierLoad)
  /**
   * Their analyses are on disk (or failed to be written: logged); `records`: the sidecars as
   * written, of those that were.
   */
  | ({
      readonly type: 'recorded';
      readonly sidecarPaths: readonly string[];
      readonly records: readonly ImageRecord[];
    } & ClassifierLoad)
  | {
      readonly type: 'log';
      readonly level: Extract<LogLevel, 'error' | 'warn' | 'info' | 'debug'>;
      readonly entry: Record<string, unknown>;
    };

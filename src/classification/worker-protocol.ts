/** Messages between the classifier pool (main thread) and its workers. */

export interface WorkerOptions {
  readonly modelDir: string;
  readonly backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
}

/** What a worker found when it loaded the model. */
export interface ModelInfo {
  readonly backend: string;
  readonly labels: readonly string[];
  /** Stable id of the model files (a hash of model.json and its weights). */
  readonly modelId: string;
  readonly inputSize: readonly [number, number];
}

export interface ClassifyJob {
  readonly id: number;
  readonly imagePath: string;
}

export type JobOutcome =
  | {
      readonly id: number;
      readonly ok: true;
      readonly scores: number[];
      readonly decodeMs: number;
      readonly inferenceMs: number;
    }
  | {
      readonly id: number;
      readonly ok: false;
      /** `closed`: the pool stopped before classifying it (shutdown); the image waits for the next start. */
      readonly reason: 'undecodable' | 'failed' | 'closed';
      readonly message: string;
    };

export type ToWorker = { readonly type: 'classify'; readonly jobs: readonly ClassifyJob[] };

export type FromWorker =
  | { readonly type: 'ready'; readonly model: ModelInfo }
  | { readonly type: 'load-failed'; readonly message: string }
  | { readonly type: 'results'; readonly outcomes: readonly JobOutcome[] };

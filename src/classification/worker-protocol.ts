/** Messages between the classifier pool and its inference workers (worker threads). */
import type { InputSize, PreprocessedImage, Preprocessing } from '#vision';

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

/** How images are decoded for the model: its input size and preprocessing. */
export interface ModelInput {
  readonly size: InputSize;
  readonly preprocessing: Preprocessing;
}

/** What a worker tells once its model is loaded. */
export interface WorkerReady {
  readonly model: ModelInfo;
  readonly input: ModelInput;
}

/** An image decoded for the model, on its way to a worker. */
export interface DecodedJob {
  readonly id: number;
  readonly image: PreprocessedImage;
}

export type JobOutcome =
  | {
      readonly id: number;
      readonly ok: true;
      readonly scores: number[];
      /** Reading and decoding this image. */
      readonly decodeMs: number;
      /** Its share of its batch's inference. */
      readonly inferenceMs: number;
    }
  | {
      readonly id: number;
      readonly ok: false;
      /** `closed`: the pool stopped before classifying it (shutdown); the image waits for the next start. */
      readonly reason: 'undecodable' | 'failed' | 'closed';
      readonly message: string;
    };

/** What a worker answers for one decoded image. */
export type InferenceResult =
  | { readonly id: number; readonly ok: true; readonly scores: number[]; readonly inferenceMs: number }
  | { readonly id: number; readonly ok: false; readonly message: string };

export type ToWorker = { readonly type: 'classify'; readonly jobs: readonly DecodedJob[] };

export type FromWorker =
  | ({ readonly type: 'ready' } & WorkerReady)
  | { readonly type: 'load-failed'; readonly message: string }
  | { readonly type: 'results'; readonly results: readonly InferenceResult[] };

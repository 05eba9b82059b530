/** Messages between the classifier pool (main thread) and its workers. */
import { basename, resolve } from 'node:path';

/** A model folder and the name it goes by (its folder name in MODELS_DIR). */
export interface ModelSource {
  readonly name: string;
  readonly dir: string;
}

/** The models the classifier runs: the active one, and a candidate beside it (shadow mode). */
export interface ModelChoice {
  readonly active: ModelSource;
  readonly shadow?: ModelSource;
}

export interface WorkerOptions {
  readonly models: ModelChoice;
  readonly backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
}

/** What a worker found when it loaded a model. */
export interface ModelInfo {
  /** The model's name (its folder's). */
  readonly name: string;
  readonly backend: string;
  readonly labels: readonly string[];
  /** Stable id of the model files (a hash of model.json and its weights). */
  readonly modelId: string;
  readonly inputSize: readonly [number, number];
}

/** The models a worker runs: every outcome it gives is theirs. */
export interface WorkerModels {
  readonly active: ModelInfo;
  readonly shadow?: ModelInfo;
}

export interface ClassifyJob {
  readonly id: number;
  readonly imagePath: string;
}

/** What the shadow model made of an image, beside the active model's outcome. */
export type ShadowOutcome =
  | { readonly ok: true; readonly scores: number[]; readonly inferenceMs: number }
  | { readonly ok: false; readonly message: string };

export type JobOutcome =
  | {
      readonly id: number;
      readonly ok: true;
      readonly scores: number[];
      readonly decodeMs: number;
      readonly inferenceMs: number;
      readonly shadow?: ShadowOutcome;
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
  /** `shadowFailure`: the shadow model could not be loaded (the worker runs the active one alone). */
  | { readonly type: 'ready'; readonly models: WorkerModels; readonly shadowFailure?: string }
  | { readonly type: 'load-failed'; readonly message: string }
  | { readonly type: 'results'; readonly outcomes: readonly JobOutcome[] };

/** The choice of one model folder alone, named by its folder. */
export function singleModel(dir: string): ModelChoice {
  return { active: { name: basename(resolve(dir)), dir } };
}

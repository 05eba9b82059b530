/** Messages between the classifier pool and its inference workers (worker threads). */
import { basename, resolve } from 'node:path';
import type { InputSize, PreprocessedImage, Preprocessing } from '#vision';

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

/** How images are decoded for a model: its input size and preprocessing. */
export interface ModelInput {
  readonly size: InputSize;
  readonly preprocessing: Preprocessing;
}

/** Two models that take the same input take the same decoded pixels. */
export function sameInput(a: ModelInput, b: ModelInput): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What a worker tells once its models are loaded. */
export interface WorkerReady {
  readonly models: WorkerModels;
  readonly input: ModelInput;
  readonly shadowInput?: ModelInput;
}

/** An image decoded for the models, on its way to a worker. */
export interface DecodedJob {
  readonly id: number;
  readonly image: PreprocessedImage;
  /**
   * Decoded for the shadow model when its input differs from the active one's (absent: the
   * shadow model takes `image`); null when that decoding failed (the shadow model skips it).
   */
  readonly shadowImage?: PreprocessedImage | null;
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
      /** Reading and decoding this image. */
      readonly decodeMs: number;
      /** Its share of its batch's inference. */
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

/** What a worker answers for one decoded image. */
export type InferenceResult =
  | {
      readonly id: number;
      readonly ok: true;
      readonly scores: number[];
      readonly inferenceMs: number;
      readonly shadow?: ShadowOutcome;
    }
  | { readonly id: number; readonly ok: false; readonly message: string };

export type ToWorker = { readonly type: 'classify'; readonly jobs: readonly DecodedJob[] };

export type FromWorker =
  /** `shadowFailure`: the shadow model could not be loaded (the worker runs the active one alone). */
  | ({ readonly type: 'ready'; readonly shadowFailure?: string } & WorkerReady)
  | { readonly type: 'load-failed'; readonly message: string }
  | { readonly type: 'results'; readonly results: readonly InferenceResult[] };

/** The choice of one model folder alone, named by its folder. */
export function singleModel(dir: string): ModelChoice {
  return { active: { name: basename(resolve(dir)), dir } };
}

/**
 * The on-disk model format this library reads and writes, shared with Teachable Machine's image export:
 *
 *   model.json     TF.js model (layers or graph) with a weightsManifest naming its shards
 *   weights.bin    weight shard(s), relative to model.json
 *   metadata.json  optional; `labels` (Teachable Machine), `imageSize`, and our `preprocessing`
 *   labels.json    optional alternative to metadata.json `labels`: a JSON array of strings
 */

export const MODEL_JSON = 'model.json';
export const METADATA_JSON = 'metadata.json';
export const LABELS_JSON = 'labels.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * How the camera frame is fitted to the model input: `centre` crops the largest centred region with the
 * input's aspect ratio and resizes it (Teachable Machine); `stretch` resizes the whole frame, ignoring
 * the aspect ratio.
 */
export type CropMode = 'centre' | 'stretch';

/** Each 0-255 channel value `x` becomes `x / divisor + offset`. */
export interface PixelScaling {
  readonly divisor: number;
  readonly offset: number;
}

export interface Preprocessing {
  readonly crop: CropMode;
  readonly scaling: PixelScaling;
}

/** Teachable Machine image models: centre crop to a square, then `x / 127 - 1` (range about [-1, 1.008]). */
export const TEACHABLE_MACHINE_PREPROCESSING: Preprocessing = Object.freeze({
  crop: 'centre',
  scaling: Object.freeze({ divisor: 127, offset: -1 }),
});

/** What the model expects as one image: height x width x channels (channels 3 = RGB, 1 = grey). */
export interface InputSize {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

/**
 * metadata.json as written by the trainer. Teachable Machine writes `labels`, `imageSize` and a few
 * informational fields; everything else is optional and defaults to the Teachable Machine convention.
 */
export interface ModelMetadata {
  readonly labels?: readonly string[];
  readonly imageSize?: number;
  readonly preprocessing?: {
    readonly crop?: CropMode;
    readonly scaling?: PixelScaling;
  };
  readonly modelName?: string;
  readonly trainedAt?: string;
  readonly [extra: string]: unknown;
}

const CROP_MODES: readonly string[] = ['centre', 'stretch'];

/**
 * Validates the preprocessing section of metadata.json; returns an error reason or the resolved value.
 * Accepts the spelling `center` as well as `centre`.
 */
export function resolvePreprocessing(
  section: unknown,
): { ok: true; value: Preprocessing } | { ok: false; reason: string } {
  if (section === undefined || section === null) return { ok: true, value: TEACHABLE_MACHINE_PREPROCESSING };
  if (typeof section !== 'object') return { ok: false, reason: '"preprocessing" must be an object' };
  const { crop: rawCrop, scaling: rawScaling } = section as Record<string, unknown>;
  const crop = rawCrop === 'center' ? 'centre' : (rawCrop ?? TEACHABLE_MACHINE_PREPROCESSING.crop);
  if (typeof crop !== 'string' || !CROP_MODES.includes(crop)) {
    return { ok: false, reason: `"preprocessing.crop" must be one of ${CROP_MODES.join(', ')}` };
  }
  let scaling = TEACHABLE_MACHINE_PREPROCESSING.scaling;
  if (rawScaling !== undefined) {
    const { divisor, offset } = (rawScaling ?? {}) as Record<string, unknown>;
    if (
      typeof divisor !== 'number' ||
      !(divisor > 0) ||
      typeof offset !== 'number' ||
      !Number.isFinite(offset)
    ) {
      return {
        ok: false,
        reason: '"preprocessing.scaling" must be { divisor: positive number, offset: number }',
      };
    }
    scaling = { divisor, offset };
  }
  return { ok: true, value: { crop: crop as CropMode, scaling } };
}

/** Returns the labels if `value` is a non-empty array of non-empty, distinct strings. */
export function asLabels(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (!value.every((label) => typeof label === 'string' && label.length > 0)) return undefined;
  if (new Set(value).size !== value.length) return undefined;
  return [...(value as string[])];
}

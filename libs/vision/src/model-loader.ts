import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';

import {
  InvalidModelFileError,
  LabelCountMismatchError,
  LabelsNotFoundError,
  ModelDirectoryNotFoundError,
  ModelJsonNotFoundError,
  UnsupportedModelError,
  WeightDataSizeError,
  WeightShardNotFoundError,
} from './errors.js';
import {
  asLabels,
  InputSize,
  LABELS_JSON,
  METADATA_JSON,
  MODEL_JSON,
  ModelMetadata,
  Preprocessing,
  resolvePreprocessing,
} from './model-format.js';

export type ModelKind = 'layers' | 'graph';

/** A model ready to classify images, with everything needed to prepare its input. */
export interface LoadedModel {
  /** Absolute path of the directory the model was loaded from. */
  readonly dir: string;
  readonly kind: ModelKind;
  readonly model: tf.LayersModel | tf.GraphModel;
  /** One label per model output, in output order. */
  readonly labels: readonly string[];
  /** Read from the model's input shape (metadata `imageSize` only fills dynamic dimensions). */
  readonly input: InputSize;
  readonly preprocessing: Preprocessing;
  /** metadata.json as found (empty object when there is none). */
  readonly metadata: ModelMetadata;
  /** Releases the model's weights. */
  dispose(): void;
}

/**
 * Loads a TF.js model from a directory with `fs` (plain tfjs has no file:// loader): reads model.json
 * and every shard in its weightsManifest, hands them to tfjs in memory, finds the labels
 * (metadata.json `labels`, else labels.json), the input size (from the model) and the preprocessing
 * (metadata.json, else Teachable Machine's convention), then runs one warm-up prediction, which also
 * checks that the model outputs one score per label. Every failure is a `ModelLoadError` naming the
 * path involved.
 */
export async function loadModel(directory: string): Promise<LoadedModel> {
  const dir = resolve(directory);
  await assertDirectory(dir);

  const modelJsonPath = join(dir, MODEL_JSON);
  const modelJson = await readJson(modelJsonPath, () => new ModelJsonNotFoundError(modelJsonPath));
  const { kind, modelJSON } = validateModelJson(modelJsonPath, modelJson);

  const metadataPath = join(dir, METADATA_JSON);
  const metadata = ((await readJson(metadataPath, () => undefined)) ?? {}) as ModelMetadata;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new InvalidModelFileError(metadataPath, 'expected a JSON object');
  }
  const preprocessing = resolvePreprocessing(metadata.preprocessing);
  if (!preprocessing.ok) throw new InvalidModelFileError(metadataPath, preprocessing.reason);
  const { labels, labelsPath } = await readLabels(dir, metadata);

  const artifacts = await tf.io.getModelArtifactsForJSON(modelJSON, (manifest) =>
    readWeights(dir, modelJsonPath, manifest),
  );
  let model: tf.LayersModel | tf.GraphModel;
  try {
    const handler = tf.io.fromMemory(artifacts);
    model = kind === 'layers' ? await tf.loadLayersModel(handler) : await tf.loadGraphModel(handler);
  } catch (error) {
    throw new InvalidModelFileError(
      modelJsonPath,
      `TensorFlow.js cannot build the model: ${message(error)}`,
      {
        cause: error,
      },
    );
  }

  try {
    const input = inputSizeOf(modelJsonPath, model, metadata);
    const outputSize = warmUp(modelJsonPath, model, input);
    if (outputSize !== labels.length)
      throw new LabelCountMismatchError(labelsPath, labels.length, outputSize);
    return Object.freeze({
      dir,
      kind,
      model,
      labels: Object.freeze(labels),
      input,
      preprocessing: preprocessing.value,
      metadata,
      dispose: () => model.dispose(),
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
}

async function assertDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (error) {
    throw new ModelDirectoryNotFoundError(dir, { cause: error });
  }
  throw new ModelDirectoryNotFoundError(dir);
}

/** Parses a JSON file; a missing file yields `onMissing()` (thrown when it is an Error). */
async function readJson(path: string, onMissing: () => Error | undefined): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) {
      const missing = onMissing();
      if (missing) throw missing;
      return undefined;
    }
    throw new InvalidModelFileError(path, `cannot read: ${message(error)}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidModelFileError(path, `not valid JSON: ${message(error)}`, { cause: error });
  }
}

function validateModelJson(path: string, json: unknown): { kind: ModelKind; modelJSON: tf.io.ModelJSON } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidModelFileError(path, 'expected a JSON object');
  }
  const { modelTopology, weightsManifest, format } = json as Record<string, unknown>;
  if (typeof modelTopology !== 'object' || modelTopology === null) {
    throw new InvalidModelFileError(path, 'missing "modelTopology"');
  }
  if (!Array.isArray(weightsManifest) || !weightsManifest.every(isWeightGroup)) {
    throw new InvalidModelFileError(
      path,
      '"weightsManifest" must be an array of { paths: string[], weights: [] }',
    );
  }
  const kind = modelKind(format, modelTopology);
  if (kind === undefined) {
    throw new InvalidModelFileError(
      path,
      `cannot tell a layers model from a graph model (format: ${String(format)})`,
    );
  }
  return { kind, modelJSON: json as tf.io.ModelJSON };
}

/** `format` when present (the converter and tfjs-layers write it), else the shape of `modelTopology`. */
function modelKind(format: unknown, topology: object): ModelKind | undefined {
  if (format === 'layers-model') return 'layers';
  if (format === 'graph-model') return 'graph';
  if (format !== undefined) return undefined;
  if ('node' in topology) return 'graph';
  if ('class_name' in topology || 'model_config' in topology) return 'layers';
  return undefined;
}

function isWeightGroup(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { paths, weights } = value as Record<string, unknown>;
  return Array.isArray(paths) && paths.every((p) => typeof p === 'string') && Array.isArray(weights);
}

/** Reads every shard of every group in manifest order and concatenates them into one buffer. */
async function readWeights(
  dir: string,
  modelJsonPath: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const shardPaths = manifest.flatMap((group) => group.paths.map((p) => shardPath(dir, modelJsonPath, p)));
  const shards = await Promise.all(
    shardPaths.map(async (path) => {
      try {
        return await readFile(path);
      } catch (error) {
        if (isNotFound(error)) throw new WeightShardNotFoundError(path, { cause: error });
        throw new InvalidModelFileError(path, `cannot read: ${message(error)}`, { cause: error });
      }
    }),
  );
  const specs = manifest.flatMap((group) => group.weights);
  const joined = Buffer.concat(shards);
  const expected = expectedWeightBytes(specs);
  if (expected !== undefined && expected !== joined.byteLength) {
    throw new WeightDataSizeError(modelJsonPath, expected, joined.byteLength);
  }
  const data = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
  return [specs, data];
}

/** Shards are named relative to model.json and must stay inside the model directory. */
function shardPath(dir: string, modelJsonPath: string, name: string): string {
  const path = resolve(dir, name);
  const rel = relative(dir, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new InvalidModelFileError(
      modelJsonPath,
      `weight path "${name}" points outside the model directory`,
    );
  }
  return path;
}

const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Total bytes the manifest describes, or undefined when it holds strings (variable length). */
function expectedWeightBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const bytes = BYTES_PER_ELEMENT[spec.quantization?.dtype ?? spec.dtype];
    if (bytes === undefined) return undefined;
    total += spec.shape.reduce((n, d) => n * d, 1) * bytes;
  }
  return total;
}

async function readLabels(
  dir: string,
  metadata: ModelMetadata,
): Promise<{ labels: string[]; labelsPath: string }> {
  const metadataPath = join(dir, METADATA_JSON);
  if (metadata.labels !== undefined) {
    const labels = asLabels(metadata.labels);
    if (!labels)
      throw new InvalidModelFileError(
        metadataPath,
        '"labels" must be an array of distinct non-empty strings',
      );
    return { labels, labelsPath: metadataPath };
  }
  const labelsPath = join(dir, LABELS_JSON);
  const json = await readJson(labelsPath, () => new LabelsNotFoundError(dir));
  const labels = asLabels(json);
  if (!labels) throw new InvalidModelFileError(labelsPath, 'expected an array of distinct non-empty strings');
  return { labels, labelsPath };
}

/** Height, width, channels from the model's input shape [batch, height, width, channels]. */
function inputSizeOf(
  path: string,
  model: tf.LayersModel | tf.GraphModel,
  metadata: ModelMetadata,
): InputSize {
  if (model.inputs.length !== 1) {
    throw new UnsupportedModelError(path, `expects exactly one input, the model has ${model.inputs.length}`);
  }
  const { shape, dtype } = model.inputs[0];
  if (dtype !== undefined && dtype !== 'float32') {
    throw new UnsupportedModelError(path, `input dtype must be float32, got ${dtype}`);
  }
  if (!shape || shape.length !== 4) {
    throw new UnsupportedModelError(
      path,
      `input must be [batch, height, width, channels], got ${describe(shape)}`,
    );
  }
  const fallback = typeof metadata.imageSize === 'number' ? metadata.imageSize : undefined;
  const height = known(shape[1]) ?? fallback;
  const width = known(shape[2]) ?? fallback;
  const channels = shape[3];
  if (height === undefined || width === undefined) {
    throw new UnsupportedModelError(
      path,
      `input ${describe(shape)} has no fixed size and metadata gives no imageSize`,
    );
  }
  if (channels !== 1 && channels !== 3) {
    throw new UnsupportedModelError(path, `input must have 1 or 3 channels, got ${describe(shape)}`);
  }
  return Object.freeze({ width, height, channels });
}

/** Predicts once on a black image; returns the number of scores the model outputs. */
function warmUp(path: string, model: tf.LayersModel | tf.GraphModel, input: InputSize): number {
  let shape: number[];
  try {
    shape = tf.tidy(() => {
      const output = model.predict(tf.zeros([1, input.height, input.width, input.channels]));
      if (!(output instanceof tf.Tensor)) throw new Error('the model has more than one output');
      output.dataSync();
      return output.shape;
    });
  } catch (error) {
    throw new UnsupportedModelError(path, `prediction on a blank image failed: ${message(error)}`, {
      cause: error,
    });
  }
  if (shape.length !== 2 || shape[0] !== 1) {
    throw new UnsupportedModelError(path, `output must be [batch, classes], got ${describe(shape)}`);
  }
  return shape[1];
}

function known(dim: number | null | undefined): number | undefined {
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

function describe(shape: readonly (number | null)[] | undefined): string {
  return shape ? `[${shape.map((d) => (d === null || d < 0 ? '?' : d)).join(', ')}]` : 'no shape';
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';

import {
  InvalidModelFileError,
  LabelCountMismatchError,
  ModelJsonNotFoundError,
  UnsupportedModelError,
} from './errors.js';
import {
  InputSize,
  METADATA_JSON,
  MODEL_JSON,
  ModelMetadata,
  Preprocessing,
  resolvePreprocessing,
} from './model-format.js';
import {
  assertDirectory,
  message,
  readJson,
  readLabels,
  readWeights,
  validateModelJson,
  type ModelKind,
} from './model-files.js';

export type { ModelKind } from './model-files.js';

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

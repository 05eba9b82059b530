import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';

import { METADATA_JSON, MODEL_JSON, ModelMetadata, WEIGHTS_BIN } from './model-format.js';

export interface SavedModelFiles {
  readonly modelJson: string;
  readonly weights: string;
  readonly metadata: string;
  readonly weightBytes: number;
}

/**
 * Saves a layers model in the format `loadModel` (and Teachable Machine's loaders) read: model.json with
 * one weight group in weights.bin, plus metadata.json. Each file is written beside its final name and
 * renamed into place, so a reader never sees half a file.
 */
export async function saveLayersModel(
  model: tf.LayersModel,
  directory: string,
  metadata: ModelMetadata,
): Promise<SavedModelFiles> {
  const dir = resolve(directory);
  await mkdir(dir, { recursive: true });
  const files = {
    modelJson: join(dir, MODEL_JSON),
    weights: join(dir, WEIGHTS_BIN),
    metadata: join(dir, METADATA_JSON),
  };
  let weightBytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      weightBytes = weights.byteLength;
      const modelJson: tf.io.ModelJSON = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeAtomically(files.weights, weights);
      await writeAtomically(files.modelJson, JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
    // The optimizer state is not needed to classify and would triple the weights.
    { includeOptimizer: false },
  );
  await writeAtomically(files.metadata, `${JSON.stringify(metadata, null, 2)}\n`);
  return { ...files, weightBytes };
}

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  InvalidModelFileError,
  LabelsNotFoundError,
  ModelDirectoryNotFoundError,
  WeightDataSizeError,
  WeightShardNotFoundError,
} from './errors.js';
import { asLabels, LABELS_JSON, METADATA_JSON, type ModelMetadata } from './model-format.js';

/** Reading and checking the files of a model folder: model.json, its weight shards, its labels. */

export type ModelKind = 'layers' | 'graph';

export async function assertDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (error) {
    throw new ModelDirectoryNotFoundError(dir, { cause: error });
  }
  throw new ModelDirectoryNotFoundError(dir);
}

/** Parses a JSON file; a missing file yields `onMissing()` (thrown when it is an Error). */
export async function readJson(path: string, onMissing: () => Error | undefined): Promise<unknown> {
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

export function validateModelJson(
  path: string,
  json: unknown,
): { kind: ModelKind; modelJSON: tf.io.ModelJSON } {
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
export async function readWeights(
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

export async function readLabels(
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

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Tiny models written to disk by the specs (no fixtures checked in): a layers model saved through the
 * library's own save handler, a Teachable-Machine-shaped export, and a hand-written graph model.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';

import { saveLayersModel } from '../model-writer.js';
import { ModelMetadata } from '../model-format.js';

export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `vision-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * image [size, size, 3] -> global average pool -> dense(labels, softmax). With `kernel` rows per input
 * channel and `bias`, the output for a uniform image of scaled value v (every channel) is
 * softmax(v * column sums of kernel + bias), easy to compute by hand.
 */
export function buildTinyClassifier(size: number, kernel: number[][], bias: number[]): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.globalAveragePooling2d({ inputShape: [size, size, 3] }));
  model.add(tf.layers.dense({ units: bias.length, activation: 'softmax' }));
  model.layers[1].setWeights([tf.tensor2d(kernel), tf.tensor1d(bias)]);
  return model;
}

/** Saves a tiny classifier with the library's writer (model.json + weights.bin + metadata.json). */
export async function writeTinyLayersModel(
  dir: string,
  options: { size: number; kernel: number[][]; bias: number[]; metadata: ModelMetadata },
): Promise<void> {
  const model = buildTinyClassifier(options.size, options.kernel, options.bias);
  try {
    await saveLayersModel(model, dir, options.metadata);
  } finally {
    model.dispose();
  }
}

/**
 * The files of a Teachable Machine image export, with its metadata.json shape (labels, imageSize 224,
 * version fields, no preprocessing section) and a small stand-in for the MobileNet body.
 */
export async function writeTeachableMachineExport(dir: string, labels: string[]): Promise<void> {
  const kernel = [labels.map((_, i) => i), labels.map(() => 0), labels.map(() => 0)];
  const model = buildTinyClassifier(
    224,
    kernel,
    labels.map(() => 0),
  );
  try {
    await saveLayersModel(model, dir, {
      tfjsVersion: '1.3.1',
      tmVersion: '2.4.10',
      packageVersion: '0.8.4-alpha2',
      packageName: '@teachablemachine/image',
      timeStamp: '2024-05-02T10:00:00.000Z',
      userMetadata: {},
      modelName: 'tm-my-image-model',
      labels,
      imageSize: 224,
    });
  } finally {
    model.dispose();
  }
}

const dims = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
const FLOAT = { type: 'DT_FLOAT' };

/**
 * A graph model written by hand in the converter's format (GraphDef as JSON + weightsManifest): image
 * [-1, size, size, 3] -> Mean over height and width -> MatMul(w: 3x2) -> AddV2(b) -> Softmax. Constants
 * live in weights.bin like the converter stores them. Labels go to labels.json.
 */
export async function writeTinyGraphModel(
  dir: string,
  options: { size: number; w: number[]; b: number[]; labels: string[] },
): Promise<void> {
  const modelTopology = {
    node: [
      {
        name: 'image',
        op: 'Placeholder',
        attr: { dtype: FLOAT, shape: { shape: dims(-1, options.size, options.size, 3) } },
      },
      {
        name: 'axes',
        op: 'Const',
        attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: dims(2) } } },
      },
      {
        name: 'mean',
        op: 'Mean',
        input: ['image', 'axes'],
        attr: { keep_dims: { b: false }, T: FLOAT, Tidx: { type: 'DT_INT32' } },
      },
      {
        name: 'w',
        op: 'Const',
        attr: { dtype: FLOAT, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(3, 2) } } },
      },
      {
        name: 'b',
        op: 'Const',
        attr: { dtype: FLOAT, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(2) } } },
      },
      {
        name: 'matmul',
        op: 'MatMul',
        input: ['mean', 'w'],
        attr: { transpose_a: { b: false }, transpose_b: { b: false }, T: FLOAT },
      },
      { name: 'logits', op: 'AddV2', input: ['matmul', 'b'], attr: { T: FLOAT } },
      { name: 'scores', op: 'Softmax', input: ['logits'], attr: { T: FLOAT } },
    ],
    versions: { producer: 1 },
  };
  const weightsManifest = [
    {
      paths: ['group1-shard1of1.bin'],
      weights: [
        { name: 'axes', shape: [2], dtype: 'int32' },
        { name: 'w', shape: [3, 2], dtype: 'float32' },
        { name: 'b', shape: [2], dtype: 'float32' },
      ],
    },
  ];
  const weights = Buffer.concat([
    Buffer.from(new Int32Array([1, 2]).buffer),
    Buffer.from(new Float32Array(options.w).buffer),
    Buffer.from(new Float32Array(options.b).buffer),
  ]);
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'hand-written',
    convertedBy: null,
    modelTopology,
    weightsManifest,
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
  await writeFile(join(dir, 'group1-shard1of1.bin'), weights);
  await writeFile(join(dir, 'labels.json'), JSON.stringify(options.labels));
}

/** A solid-colour PNG (lossless, so every pixel decodes to exactly `rgb`). */
export async function solidPng(
  width: number,
  height: number,
  rgb: [number, number, number],
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

export function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

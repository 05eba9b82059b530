import type { LayersModel, Tensor } from '@tensorflow/tfjs';

import type { PreprocessedImage, Tf } from '#vision';
import { mulberry32, shuffled } from './split.js';

export interface LabelledImages {
  readonly images: readonly PreprocessedImage[];
  readonly labels: readonly number[];
}

export interface EpochStats {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly validationLoss: number;
  readonly validationAccuracy: number;
  readonly seconds: number;
}

export interface FitOptions {
  readonly classes: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Random horizontal and vertical flips of training images (cables have no preferred direction). */
  readonly augment: boolean;
  readonly onBatch?: (epoch: number, batch: number, batches: number) => void;
  readonly onEpoch?: (stats: EpochStats) => void;
}

export interface FitResult {
  readonly history: EpochStats[];
  /**
   * The epoch whose weights the model ends with: best validation accuracy, then lowest validation
   * loss (the last epoch without validation images).
   */
  readonly bestEpoch: number;
}

/**
 * Trains with an explicit seeded loop (shuffle, augment, `trainOnBatch`) so a run is repeatable on a
 * given backend, evaluates the validation images after each epoch and finally restores the weights of
 * the best epoch.
 */
export async function fitClassifier(
  tf: Tf,
  model: LayersModel,
  train: LabelledImages,
  validation: LabelledImages,
  options: FitOptions,
): Promise<FitResult> {
  const history: EpochStats[] = [];
  let best: { epoch: number; accuracy: number; loss: number; weights: Tensor[] } | undefined;
  const random = mulberry32(options.seed ^ 0x5eed);
  const batches = Math.ceil(train.images.length / options.batchSize);
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const started = performance.now();
      const order = shuffled(
        train.images.map((_, i) => i),
        options.seed * 7919 + epoch,
      );
      let lossSum = 0;
      let accuracySum = 0;
      for (let b = 0; b < batches; b++) {
        const indices = order.slice(b * options.batchSize, (b + 1) * options.batchSize);
        const x = batchTensor(
          tf,
          indices.map((i) => train.images[i]),
          options.augment ? random : undefined,
        );
        const y = tf.oneHot(
          tf.tensor1d(
            indices.map((i) => train.labels[i]),
            'int32',
          ),
          options.classes,
        );
        try {
          const [loss, accuracy] = (await model.trainOnBatch(x, y)) as number[];
          lossSum += loss * indices.length;
          accuracySum += accuracy * indices.length;
        } finally {
          tf.dispose([x, y]);
        }
        options.onBatch?.(epoch, b + 1, batches);
      }
      const scores = await predictProbabilities(tf, model, validation.images, options.batchSize);
      const stats: EpochStats = {
        epoch,
        loss: lossSum / train.images.length,
        accuracy: accuracySum / train.images.length,
        validationLoss: crossEntropy(scores, validation.labels),
        validationAccuracy: accuracyOf(scores, validation.labels),
        seconds: (performance.now() - started) / 1000,
      };
      history.push(stats);
      options.onEpoch?.(stats);
      // Without validation images there is nothing to choose by: the last epoch's weights are kept.
      const better =
        !best ||
        validation.images.length === 0 ||
        stats.validationAccuracy > best.accuracy ||
        (stats.validationAccuracy === best.accuracy && stats.validationLoss < best.loss);
      if (better) {
        if (best) tf.dispose(best.weights);
        best = {
          epoch,
          accuracy: stats.validationAccuracy,
          loss: stats.validationLoss,
          weights: model.getWeights().map((w) => w.clone()),
        };
      }
    }
    if (best) model.setWeights(best.weights);
    return { history, bestEpoch: best?.epoch ?? 0 };
  } finally {
    if (best) tf.dispose(best.weights);
  }
}

/** Softmax outputs for many images, computed in batches. */
export async function predictProbabilities(
  tf: Tf,
  model: LayersModel,
  images: readonly PreprocessedImage[],
  batchSize: number,
): Promise<number[][]> {
  const rows: number[][] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const output = tf.tidy(
      () => model.predict(batchTensor(tf, images.slice(start, start + batchSize))) as Tensor,
    );
    try {
      rows.push(...((await output.array()) as number[][]));
    } finally {
      output.dispose();
    }
  }
  return rows;
}

export const argmax = (row: readonly number[]): number =>
  row.reduce((best, v, i) => (v > row[best] ? i : best), 0);

function accuracyOf(scores: readonly number[][], labels: readonly number[]): number {
  if (labels.length === 0) return NaN;
  return scores.filter((row, i) => argmax(row) === labels[i]).length / labels.length;
}

function crossEntropy(scores: readonly number[][], labels: readonly number[]): number {
  if (labels.length === 0) return NaN;
  const sum = scores.reduce((total, row, i) => total - Math.log(Math.max(row[labels[i]], 1e-7)), 0);
  return sum / labels.length;
}

/** [n, h, w, c] tensor; with `random`, each image is flipped horizontally and/or vertically at random. */
function batchTensor(tf: Tf, images: readonly PreprocessedImage[], random?: () => number): Tensor {
  const { width, height, channels } = images[0];
  const size = width * height * channels;
  const data = new Float32Array(images.length * size);
  images.forEach((image, n) => {
    const flipX = random ? random() < 0.5 : false;
    const flipY = random ? random() < 0.5 : false;
    if (!flipX && !flipY) {
      data.set(image.data, n * size);
      return;
    }
    for (let y = 0; y < height; y++) {
      const sy = flipY ? height - 1 - y : y;
      for (let x = 0; x < width; x++) {
        const sx = flipX ? width - 1 - x : x;
        const from = (sy * width + sx) * channels;
        const to = n * size + (y * width + x) * channels;
        for (let c = 0; c < channels; c++) data[to + c] = image.data[from + c];
      }
    }
  });
  return tf.tensor4d(data, [images.length, height, width, channels]);
}

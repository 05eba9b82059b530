import { basename, resolve } from 'node:path';

import {
  InputSize,
  ModelMetadata,
  PreprocessedImage,
  saveLayersModel,
  selectBackend,
  TEACHABLE_MACHINE_PREPROCESSING,
  Tf,
} from '#vision';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { TrainArgs } from './args.js';
import { listDataset, loadImages } from './dataset.js';
import { accuracy, confusionMatrix, perClassMetrics } from './metrics.js';
import { buildCnn } from './model.js';
import { writeReport } from './report.js';
import { stratifiedSplit } from './split.js';
import { argmax, EpochStats, fitClassifier, predictProbabilities } from './train.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

/** Where progress goes; the CLI prints it, tests collect or drop it. */
export interface TrainingLog {
  info(message: string): void;
  /** Transient progress (a TTY can overwrite it in place). */
  progress(message: string): void;
  epoch(stats: EpochStats, epochs: number): void;
}

export interface TrainingSummary {
  readonly out: string;
  readonly labels: readonly string[];
  readonly backend: string;
  readonly heldOutAccuracy: number;
  readonly bestEpoch: number;
  readonly inferenceMsPerImage: number;
}

/**
 * The whole training run: list and split the data, choose a backend that can train, preprocess
 * exactly like the gateway, train, test on the held-out split, save the model with its metadata, and
 * write the report.
 */
export async function trainFromFolder(args: TrainArgs, log: TrainingLog): Promise<TrainingSummary> {
  const { labels, files } = await listDataset(args.data);
  const split = stratifiedSplit(
    files.map((f) => f.label),
    { test: args.testFraction, validation: args.validationFraction },
    args.seed,
  );
  const imagesPerLabel = labels.map((_, c) => files.filter((f) => f.label === c).length);
  log.info(
    `data: ${files.length} images, ${labels.map((l, c) => `${l} ${imagesPerLabel[c]}`).join(', ')}; ` +
      `split ${split.train.length} train / ${split.validation.length} validation / ${split.test.length} test`,
  );

  const { tf, backend } = await trainingBackend(args, log);

  const input: InputSize = { width: args.size, height: args.size, channels: 3 };
  const preprocessing = TEACHABLE_MACHINE_PREPROCESSING;
  const images = await loadImages(files, input, preprocessing, (done, total) =>
    log.progress(`preprocessing ${done}/${total}`),
  );
  const part = (indices: readonly number[]) => ({
    images: indices.map((i) => images[i]),
    labels: indices.map((i) => files[i].label),
  });
  const [train, validation, test] = [part(split.train), part(split.validation), part(split.test)];

  const model = buildCnn(tf, {
    input,
    classes: labels.length,
    seed: args.seed,
    learningRate: args.learningRate,
  });
  try {
    log.info(`model: ${model.countParams()} weights, input ${input.width}x${input.height}x${input.channels}`);
    const started = performance.now();
    const { history, bestEpoch } = await fitClassifier(tf, model, train, validation, {
      classes: labels.length,
      epochs: args.epochs,
      batchSize: args.batchSize,
      seed: args.seed,
      augment: true,
      onBatch: (epoch, batch, batches) =>
        log.progress(`epoch ${epoch}/${args.epochs} batch ${batch}/${batches}`),
      onEpoch: (stats) => log.epoch(stats, args.epochs),
    });
    const trainingSeconds = (performance.now() - started) / 1000;

    const scores = await predictProbabilities(tf, model, test.images, args.batchSize);
    const confusion = confusionMatrix(test.labels, scores.map(argmax), labels.length);
    const heldOutAccuracy = accuracy(confusion);
    const inferenceMsPerImage = await timeInference(tf, model, test.images);
    log.info(`held-out accuracy ${(100 * heldOutAccuracy).toFixed(1)} % (epoch ${bestEpoch} weights)`);

    const trainedAt = new Date().toISOString();
    const metadata: ModelMetadata = {
      modelName: 'cable-inspector-cnn',
      labels,
      imageSize: args.size,
      inputShape: [input.height, input.width, input.channels],
      preprocessing,
      trainedAt,
      heldOutAccuracy: round(heldOutAccuracy, 4),
      heldOutImages: test.images.length,
      trainingImages: train.images.length,
      validationImages: validation.images.length,
      epochs: args.epochs,
      bestEpoch,
      seed: args.seed,
      backend,
      tfjsVersion: tf.version.tfjs,
      dataset: basename(resolve(args.data)),
    };
    const saved = await saveLayersModel(model, args.out, metadata);
    await writeReport(args.out, {
      trainedAt,
      dataset: basename(resolve(args.data)),
      labels,
      imagesPerLabel,
      split: { train: train.images.length, validation: validation.images.length, test: test.images.length },
      seed: args.seed,
      backend,
      input,
      parameters: model.countParams(),
      weightBytes: saved.weightBytes,
      epochs: args.epochs,
      bestEpoch,
      trainingSeconds,
      history,
      heldOutAccuracy,
      confusion,
      perClass: perClassMetrics(confusion),
      inferenceMsPerImage,
    });
    log.info(
      `wrote ${resolve(args.out)}: model.json, weights.bin, metadata.json, report.md, training-curve.svg/png`,
    );
    return { out: resolve(args.out), labels, backend, heldOutAccuracy, bestEpoch, inferenceMsPerImage };
  } finally {
    model.dispose();
  }
}

/**
 * tfjs-node when installed, else wasm with the training kernels it lacks (or runs slowly) registered, else cpu
 * (pure JavaScript: correct but very slow to train).
 */
async function trainingBackend(args: TrainArgs, log: TrainingLog): Promise<{ tf: Tf; backend: string }> {
  const { tf, backend, fallbacks } = await selectBackend(args.backend);
  for (const f of fallbacks) log.info(`backend ${f.backend} unavailable: ${f.reason.split('\n')[0]}`);
  if (backend === 'wasm') registerWasmTrainingKernels(tf);
  if (backend === 'cpu') log.info('warning: training on the cpu backend is very slow; use wasm or tfjs-node');
  log.info(`backend: ${backend}`);
  return { tf, backend };
}

/** Mean time to classify one image, excluding preprocessing (a few warm-up runs first). */
async function timeInference(
  tf: Tf,
  model: LayersModel,
  images: readonly PreprocessedImage[],
): Promise<number> {
  const sample = images.slice(0, Math.min(images.length, 50));
  const once = async (image: PreprocessedImage) => {
    const output = tf.tidy(
      () => model.predict(tf.tensor4d(image.data, [1, image.height, image.width, image.channels])) as Tensor,
    );
    await output.data();
    output.dispose();
  };
  for (const image of sample.slice(0, 3)) await once(image);
  const started = performance.now();
  for (const image of sample) await once(image);
  return (performance.now() - started) / Math.max(1, sample.length);
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

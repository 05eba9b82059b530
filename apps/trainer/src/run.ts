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
import { compareOnHeldOut, comparedModelDir, type Comparison } from './comparison.js';
import { loadImages } from './dataset.js';
import { startingModel } from './fine-tune.js';
import { accuracy, confusionMatrix, perClassMetrics } from './metrics.js';
import { buildCnn } from './model.js';
import { writeReport } from './report.js';
import {
  nearIdenticalFrames,
  reviewedInStore,
  samplesInFolder,
  splitSamples,
  type Sample,
} from './samples.js';
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
  /** The model in use on the same held-out images, when there was one to compare with. */
  readonly comparison?: Comparison;
}

/** Every labelled image the arguments name: the data folders, then the store's reviewed images. */
async function collectSamples(args: TrainArgs, log: TrainingLog): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const dir of args.data) samples.push(...(await samplesInFolder(dir)));
  if (args.store) {
    const reviewed = await reviewedInStore(args.store, (read) =>
      log.progress(`store: ${read} sidecars read`),
    );
    log.info(`store ${resolve(args.store)}: ${reviewed.length} reviewed images`);
    samples.push(...reviewed);
  }
  if (samples.length === 0) throw new Error('no labelled image: review images on /review, or give --data');
  return samples;
}

const countBy = (samples: readonly Sample[], labels: readonly string[]) =>
  labels.map((label) => samples.filter((sample) => sample.label === label).length);

/**
 * The whole training run: collect the labelled images (folders, a store's reviewed ones), split
 * them so that no burst of near-identical frames sits on both sides, choose a backend that can
 * train, start from scratch or from a model, preprocess exactly like the gateway, train, test on
 * the held-out images beside the model in use, save the model with its metadata, and write the
 * report.
 */
export async function trainClassifier(args: TrainArgs, log: TrainingLog): Promise<TrainingSummary> {
  const samples = await collectSamples(args, log);
  const heldOut = args.test ? await samplesInFolder(args.test) : undefined;
  const { tf, backend } = await trainingBackend(args, log);
  const dataLabels = [...new Set([...samples, ...(heldOut ?? [])].map((sample) => sample.label))].sort();
  const starting = args.from
    ? await startingModel(tf, args.from, dataLabels, { seed: args.seed, learningRate: args.learningRate })
    : undefined;
  const labels = starting?.labels ?? dataLabels;
  if (labels.length < 2) throw new Error(`at least two labels are needed, found ${labels.join(', ')}`);
  if (starting)
    log.info(
      `from ${resolve(args.from!)}: ${starting.labels.length - starting.added.length} labels kept` +
        (starting.added.length > 0 ? `, ${starting.added.join(', ')} added` : ''),
    );

  const links = await nearIdenticalFrames(samples, args.nearIdentical, (done, total) =>
    log.progress(`near-identical frames: ${done}/${total} compared`),
  );
  const split = splitSamples(
    samples,
    labels,
    { test: heldOut ? 0 : args.testFraction, validation: args.validationFraction },
    { by: args.splitBy, links, seed: args.seed },
  );
  const part = (indices: readonly number[]) => indices.map((index) => samples[index]!);
  const [trainSamples, validationSamples] = [part(split.train), part(split.validation)];
  const testSamples = heldOut ?? part(split.test);
  const imagesPerLabel = countBy([...samples, ...(heldOut ?? [])], labels);
  log.info(
    `data: ${samples.length + (heldOut?.length ?? 0)} images, ${labels.map((l, c) => `${l} ${imagesPerLabel[c]}`).join(', ')}; ` +
      `${links.length} near-identical frame(s) kept together, ${split.groups} groups split ` +
      `${trainSamples.length} train / ${validationSamples.length} validation / ${testSamples.length} test` +
      (heldOut
        ? ` (--test ${args.test})`
        : ` (newest by ${args.splitBy === 'time' ? 'capture time' : 'camera'})`),
  );
  const missing = labels.filter((_, c) => countBy(trainSamples, labels)[c] === 0);
  if (missing.length > 0) log.info(`warning: no training image of ${missing.join(', ')}`);

  const input: InputSize = starting?.input ?? { width: args.size, height: args.size, channels: 3 };
  const preprocessing = starting?.preprocessing ?? TEACHABLE_MACHINE_PREPROCESSING;
  const all = [...trainSamples, ...validationSamples, ...testSamples];
  const images = await loadImages(
    all.map((sample) => ({ path: sample.path, label: labels.indexOf(sample.label) })),
    input,
    preprocessing,
    (done, total) => log.progress(`preprocessing ${done}/${total}`),
  );
  const set = (from: number, to: number) => ({
    images: images.slice(from, to),
    labels: all.slice(from, to).map((sample) => labels.indexOf(sample.label)),
  });
  const train = set(0, trainSamples.length);
  const validation = set(trainSamples.length, trainSamples.length + validationSamples.length);
  const test = set(trainSamples.length + validationSamples.length, all.length);

  const model =
    starting?.model ??
    buildCnn(tf, { input, classes: labels.length, seed: args.seed, learningRate: args.learningRate });
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
    // Before the model is saved: --out may be the folder of the model in use.
    const comparedDir = await comparedModelDir(args.compare);
    const comparison = comparedDir
      ? await compareOnHeldOut(comparedDir, testSamples, labels, (done, total) =>
          log.progress(`comparing with ${comparedDir}: ${done}/${total}`),
        )
      : undefined;
    if (comparison)
      log.info(`${comparison.model} on the same images: ${(100 * comparison.accuracy).toFixed(1)} %`);

    const trainedAt = new Date().toISOString();
    const sources = [
      ...args.data.map((dir) => basename(resolve(dir))),
      ...(args.store ? [`store ${basename(resolve(args.store))}`] : []),
    ].join(' + ');
    const metadata: ModelMetadata = {
      modelName: 'cable-inspector-cnn',
      labels,
      imageSize: input.width,
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
      dataset: sources,
      ...(args.from ? { from: basename(resolve(args.from)) } : {}),
      split: heldOut ? `test folder ${basename(resolve(args.test!))}` : `by ${args.splitBy}`,
      ...(comparison
        ? { comparedWith: comparison.model, comparedAccuracy: round(comparison.accuracy, 4) }
        : {}),
    };
    const saved = await saveLayersModel(model, args.out, metadata);
    await writeReport(args.out, {
      trainedAt,
      dataset: sources,
      from: args.from ? basename(resolve(args.from)) : undefined,
      labels,
      imagesPerLabel,
      split: {
        train: train.images.length,
        validation: validation.images.length,
        test: test.images.length,
        how: heldOut
          ? `held out: the folder ${basename(resolve(args.test!))}; the rest split by ${args.splitBy}`
          : args.splitBy === 'time'
            ? 'the newest images of each label held out (capture time)'
            : 'whole cameras held out',
        groups: split.groups,
      },
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
      comparison,
    });
    log.info(
      `wrote ${resolve(args.out)}: model.json, weights.bin, metadata.json, report.md, training-curve.svg/png`,
    );
    return {
      out: resolve(args.out),
      labels,
      backend,
      heldOutAccuracy,
      bestEpoch,
      inferenceMsPerImage,
      comparison,
    };
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

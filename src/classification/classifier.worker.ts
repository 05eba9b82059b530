/**
 * A classifier worker thread: loads its models once (the active one, and a shadow candidate when
 * asked for), then decodes and classifies the batches the pool sends. Everything slow (JPEG decoding, inference) happens here, never on the main loop.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import {
  classifyBatch,
  loadModel,
  preprocessImage,
  selectBackend,
  UndecodableImageError,
  type LoadedModel,
  type PreprocessedImage,
} from '#vision';
import type {
  ClassifyJob,
  FromWorker,
  JobOutcome,
  ModelInfo,
  ModelSource,
  ShadowOutcome,
  ToWorker,
  WorkerOptions,
} from './worker-protocol.js';

const port = parentPort!;
const options = workerData as WorkerOptions;

function send(message: FromWorker): void {
  port.postMessage(message);
}

/**
 * A hash of model.json and every weight shard it lists, in order: two models of one architecture
 * (a fine-tuned one and its base) differ by their weights alone.
 */
async function modelIdOf(dir: string): Promise<string> {
  const modelJson = await readFile(join(dir, 'model.json'));
  const hash = createHash('sha256').update(modelJson);
  const manifest = (JSON.parse(modelJson.toString('utf8')) as { weightsManifest: { paths: string[] }[] })
    .weightsManifest;
  for (const path of manifest.flatMap((group) => group.paths)) hash.update(await readFile(join(dir, path)));
  return hash.digest('hex').slice(0, 12);
}

/**
 * Decodes at a time. The worker is in the classifier process, whose every thread runs at a lower
 * priority than the gateway: a second decode only takes a core the gateway leaves idle (the
 * second core, on a 2-core machine, once the uploads of a burst are in).
 */
const DECODE_CONCURRENCY = 2;

/** Two models that take the same input take the same decoded pixels. */
function sameInput(a: LoadedModel, b: LoadedModel): boolean {
  return (
    a.input.width === b.input.width &&
    a.input.height === b.input.height &&
    a.input.channels === b.input.channels &&
    JSON.stringify(a.preprocessing) === JSON.stringify(b.preprocessing)
  );
}

async function decode(
  model: LoadedModel,
  job: ClassifyJob,
): Promise<{ job: ClassifyJob; image: PreprocessedImage } | JobOutcome> {
  try {
    const bytes = await readFile(job.imagePath);
    return {
      job,
      image: await preprocessImage(bytes, { size: model.input, preprocessing: model.preprocessing }),
    };
  } catch (error) {
    const undecodable = error instanceof UndecodableImageError;
    return {
      id: job.id,
      ok: false,
      reason: undecodable ? 'undecodable' : 'failed',
      message: (error as Error).message,
    };
  }
}

/** Decodes every job for `model`, `DECODE_CONCURRENCY` at a time; results in job order. */
async function decodeAll(
  model: LoadedModel,
  jobs: readonly ClassifyJob[],
): Promise<Awaited<ReturnType<typeof decode>>[]> {
  const results: Awaited<ReturnType<typeof decode>>[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(DECODE_CONCURRENCY, jobs.length) }, async () => {
      while (next < jobs.length) {
        const index = next++;
        results[index] = await decode(model, jobs[index]!);
      }
    }),
  );
  return results;
}

/** The shadow model's scores for images the active model classified (its failures are its own). */
async function shadowOutcomes(
  active: LoadedModel,
  shadow: LoadedModel,
  decoded: readonly { job: ClassifyJob; image: PreprocessedImage }[],
): Promise<ShadowOutcome[]> {
  try {
    let images = decoded.map((entry) => entry.image);
    if (!sameInput(active, shadow)) {
      const again = await decodeAll(
        shadow,
        decoded.map((entry) => entry.job),
      );
      const failed = again.find((result) => !('image' in result));
      if (failed) throw new Error((failed as { message: string }).message);
      images = again.map((result) => (result as { image: PreprocessedImage }).image);
    }
    const started = performance.now();
    const results = await classifyBatch(shadow, images);
    const inferenceMs = (performance.now() - started) / images.length;
    return results.map((result) => ({ ok: true, scores: result.scores, inferenceMs }));
  } catch (error) {
    return decoded.map(() => ({ ok: false, message: (error as Error).message }));
  }
}

async function classifyJobs(
  models: { active: LoadedModel; shadow?: LoadedModel },
  jobs: readonly ClassifyJob[],
): Promise<JobOutcome[]> {
  const { active, shadow } = models;
  const outcomes = new Map<number, JobOutcome>();
  const decoded: { job: ClassifyJob; image: PreprocessedImage }[] = [];
  const decodeStarted = performance.now();
  for (const result of await decodeAll(active, jobs)) {
    if ('image' in result) decoded.push(result);
    else outcomes.set(result.id, result);
  }
  const decodeMs = (performance.now() - decodeStarted) / Math.max(1, jobs.length);
  if (decoded.length > 0) {
    const inferenceStarted = performance.now();
    try {
      const results = await classifyBatch(
        active,
        decoded.map((entry) => entry.image),
      );
      const inferenceMs = (performance.now() - inferenceStarted) / decoded.length;
      // After the active model's outcomes are known: the shadow's never change them.
      const shadows = shadow ? await shadowOutcomes(active, shadow, decoded) : undefined;
      decoded.forEach(({ job }, index) =>
        outcomes.set(job.id, {
          id: job.id,
          ok: true,
          scores: results[index]!.scores,
          decodeMs,
          inferenceMs,
          ...(shadows ? { shadow: shadows[index] } : {}),
        }),
      );
    } catch (error) {
      for (const { job } of decoded) {
        outcomes.set(job.id, { id: job.id, ok: false, reason: 'failed', message: (error as Error).message });
      }
    }
  }
  return jobs.map((job) => outcomes.get(job.id)!);
}

async function infoOf(source: ModelSource, model: LoadedModel, backend: string): Promise<ModelInfo> {
  return {
    name: source.name,
    backend,
    labels: model.labels,
    modelId: await modelIdOf(model.dir),
    inputSize: [model.input.height, model.input.width],
  };
}

async function main(): Promise<void> {
  // Each image is decoded once: libvips' cache would only hold memory. One libvips thread per
  // decode keeps a worker on one core, leaving the other to the loop that answers the cameras.
  sharp.cache(false);
  sharp.concurrency(1);
  const { active: activeSource, shadow: shadowSource } = options.models;
  let active: LoadedModel;
  let backend: string;
  try {
    ({ backend } = await selectBackend(options.backend));
    active = await loadModel(activeSource.dir);
  } catch (error) {
    send({
      type: 'load-failed',
      message: `model ${activeSource.name} could not be loaded from ${activeSource.dir}: ${(error as Error).message}`,
    });
    return;
  }
  let shadow: LoadedModel | undefined;
  let shadowFailure: string | undefined;
  if (shadowSource) {
    try {
      shadow = await loadModel(shadowSource.dir);
    } catch (error) {
      shadowFailure = `model ${shadowSource.name} could not be loaded from ${shadowSource.dir}: ${(error as Error).message}`;
    }
  }
  send({
    type: 'ready',
    models: {
      active: await infoOf(activeSource, active, backend),
      ...(shadow && shadowSource ? { shadow: await infoOf(shadowSource, shadow, backend) } : {}),
    },
    ...(shadowFailure ? { shadowFailure } : {}),
  });
  port.on('message', (message: ToWorker) => {
    void classifyJobs({ active, shadow }, message.jobs).then((outcomes) => send({ type: 'results', outcomes }));
  });
}

void main();

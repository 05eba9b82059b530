/**
 * A classifier worker thread: loads the model once, then decodes and classifies the batches the
 * pool sends. Everything slow (JPEG decoding, inference) happens here, never on the main loop.
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
import type { ClassifyJob, FromWorker, JobOutcome, ToWorker, WorkerOptions } from './worker-protocol.js';

const port = parentPort!;
const options = workerData as WorkerOptions;

function send(message: FromWorker): void {
  port.postMessage(message);
}

async function modelIdOf(dir: string): Promise<string> {
  const modelJson = await readFile(join(dir, 'model.json'));
  return createHash('sha256').update(modelJson).digest('hex').slice(0, 12);
}

/**
 * Decodes at a time. The worker is in the classifier process, whose every thread runs at a lower
 * priority than the gateway: a second decode only takes a core the gateway leaves idle (the
 * second core, on a 2-core machine, once the uploads of a burst are in).
 */
const DECODE_CONCURRENCY = 2;

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

async function classifyJobs(model: LoadedModel, jobs: readonly ClassifyJob[]): Promise<JobOutcome[]> {
  const outcomes = new Map<number, JobOutcome>();
  const decoded: { job: ClassifyJob; image: PreprocessedImage }[] = [];
  const decodeStarted = performance.now();
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
  for (const result of results) {
    if ('image' in result) decoded.push(result);
    else outcomes.set(result.id, result);
  }
  const decodeMs = (performance.now() - decodeStarted) / Math.max(1, jobs.length);
  if (decoded.length > 0) {
    const inferenceStarted = performance.now();
    try {
      const results = await classifyBatch(
        model,
        decoded.map((entry) => entry.image),
      );
      const inferenceMs = (performance.now() - inferenceStarted) / decoded.length;
      decoded.forEach(({ job }, index) =>
        outcomes.set(job.id, { id: job.id, ok: true, scores: results[index]!.scores, decodeMs, inferenceMs }),
      );
    } catch (error) {
      for (const { job } of decoded) {
        outcomes.set(job.id, { id: job.id, ok: false, reason: 'failed', message: (error as Error).message });
      }
    }
  }
  return jobs.map((job) => outcomes.get(job.id)!);
}

async function main(): Promise<void> {
  // Each image is decoded once: libvips' cache would only hold memory. One libvips thread per
  // decode keeps a worker on one core, leaving the other to the loop that answers the cameras.
  sharp.cache(false);
  sharp.concurrency(1);
  let model: LoadedModel;
  let backend: string;
  try {
    ({ backend } = await selectBackend(options.backend));
    model = await loadModel(options.modelDir);
  } catch (error) {
    send({
      type: 'load-failed',
      message: `model could not be loaded from ${options.modelDir}: ${(error as Error).message}`,
    });
    return;
  }
  send({
    type: 'ready',
    model: {
      backend,
      labels: model.labels,
      modelId: await modelIdOf(model.dir),
      inputSize: [model.input.height, model.input.width],
    },
  });
  port.on('message', (message: ToWorker) => {
    void classifyJobs(model, message.jobs).then((outcomes) => send({ type: 'results', outcomes }));
  });
}

void main();

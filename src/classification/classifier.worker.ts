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

async function classifyJobs(model: LoadedModel, jobs: readonly ClassifyJob[]): Promise<JobOutcome[]> {
  const outcomes = new Map<number, JobOutcome>();
  const decoded: { job: ClassifyJob; image: PreprocessedImage }[] = [];
  const decodeStarted = performance.now();
  // One decode at a time: parallel decodes took more cores and memory than the loop can spare.
  for (const job of jobs) {
    try {
      const bytes = await readFile(job.imagePath);
      decoded.push({
        job,
        image: await preprocessImage(bytes, { size: model.input, preprocessing: model.preprocessing }),
      });
    } catch (error) {
      const undecodable = error instanceof UndecodableImageError;
      outcomes.set(job.id, {
        id: job.id,
        ok: false,
        reason: undecodable ? 'undecodable' : 'failed',
        message: (error as Error).message,
      });
    }
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

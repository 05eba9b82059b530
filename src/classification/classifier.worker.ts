/**
 * An inference worker thread: loads the model once, then classifies the batches of decoded
 * images the pool sends. Inference blocks this thread only; the pool's thread meanwhile decodes
 * the next images.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { classifyBatch, loadModel, selectBackend, type LoadedModel } from '#vision';
import type { DecodedJob, FromWorker, InferenceResult, ToWorker, WorkerOptions } from './worker-protocol.js';

const port = parentPort!;
const options = workerData as WorkerOptions;

function send(message: FromWorker): void {
  port.postMessage(message);
}

async function modelIdOf(dir: string): Promise<string> {
  const modelJson = await readFile(join(dir, 'model.json'));
  return createHash('sha256').update(modelJson).digest('hex').slice(0, 12);
}

async function infer(model: LoadedModel, jobs: readonly DecodedJob[]): Promise<InferenceResult[]> {
  const startedAt = performance.now();
  try {
    const results = await classifyBatch(
      model,
      jobs.map((job) => job.image),
    );
    const inferenceMs = (performance.now() - startedAt) / jobs.length;
    return jobs.map((job, index) => ({ id: job.id, ok: true, scores: results[index]!.scores, inferenceMs }));
  } catch (error) {
    return jobs.map((job) => ({ id: job.id, ok: false, message: (error as Error).message }));
  }
}

async function main(): Promise<void> {
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
    input: { size: model.input, preprocessing: model.preprocessing },
  });
  port.on('message', (message: ToWorker) => {
    void infer(model, message.jobs).then((results) => send({ type: 'results', results }));
  });
}

void main();

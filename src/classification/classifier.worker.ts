/**
 * An inference worker thread: loads its models once (the active one, and a shadow candidate when
 * asked for), then classifies the batches of decoded images the pool sends. Inference blocks this
 * thread only; the pool's thread meanwhile decodes the next images.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { classifyBatch, loadModel, selectBackend, type LoadedModel, type PreprocessedImage } from '#vision';
import type {
  DecodedJob,
  FromWorker,
  InferenceResult,
  ModelInfo,
  ModelInput,
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

/** The shadow model's scores for the images the active model classified (its failures are its own). */
async function shadowOutcomes(shadow: LoadedModel, jobs: readonly DecodedJob[]): Promise<ShadowOutcome[]> {
  const images = jobs.map((job) => (job.shadowImage === undefined ? job.image : job.shadowImage));
  const decoded = images.flatMap((image) => (image === null ? [] : [image]));
  const outcomes: ShadowOutcome[] = images.map(() => ({
    ok: false,
    message: 'not decoded for the shadow model',
  }));
  if (decoded.length === 0) return outcomes;
  try {
    const startedAt = performance.now();
    const results = await classifyBatch(shadow, decoded as PreprocessedImage[]);
    const inferenceMs = (performance.now() - startedAt) / decoded.length;
    let next = 0;
    images.forEach((image, index) => {
      if (image !== null) outcomes[index] = { ok: true, scores: results[next++]!.scores, inferenceMs };
    });
    return outcomes;
  } catch (error) {
    return images.map(() => ({ ok: false, message: (error as Error).message }));
  }
}

async function infer(
  models: { active: LoadedModel; shadow?: LoadedModel },
  jobs: readonly DecodedJob[],
): Promise<InferenceResult[]> {
  const startedAt = performance.now();
  try {
    const results = await classifyBatch(
      models.active,
      jobs.map((job) => job.image),
    );
    const inferenceMs = (performance.now() - startedAt) / jobs.length;
    // After the active model's outcomes are known: the shadow's never change them.
    const shadows = models.shadow ? await shadowOutcomes(models.shadow, jobs) : undefined;
    return jobs.map((job, index) => ({
      id: job.id,
      ok: true,
      scores: results[index]!.scores,
      inferenceMs,
      ...(shadows ? { shadow: shadows[index] } : {}),
    }));
  } catch (error) {
    return jobs.map((job) => ({ id: job.id, ok: false, message: (error as Error).message }));
  }
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

const inputOf = (model: LoadedModel): ModelInput => ({
  size: model.input,
  preprocessing: model.preprocessing,
});

async function main(): Promise<void> {
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
    input: inputOf(active),
    ...(shadow ? { shadowInput: inputOf(shadow) } : {}),
    ...(shadowFailure ? { shadowFailure } : {}),
  });
  port.on('message', (message: ToWorker) => {
    void infer({ active, shadow }, message.jobs).then((results) => send({ type: 'results', results }));
  });
}

void main();

import { join } from 'node:path';
import { distribution, type Distribution } from '../../apps/esp-sim/src/index.js';
import { ClassifierPool } from '../../src/classification/classifier-pool.js';
import { singleModel, type JobOutcome } from '../../src/classification/worker-protocol.js';
import type { BenchContext } from './bench-context.js';

/** What one backend did. */
export interface BackendResult {
  /** The backend asked for. */
  readonly backend: string;
  /** The backend the worker ended up on (tfjs falls back when one fails to start). */
  readonly actual: string;
  readonly startMs: number;
  /** Images per second with every image queued at once (one worker, batches of up to 8). */
  readonly imagesPerSecond: number;
  /** Per image, one at a time: from `classify()` to its outcome (worker round trip included). */
  readonly latencyMs: Distribution;
  /** Means over the latency run, as the worker measured them. */
  readonly decodeMs: number | null;
  readonly inferenceMs: number | null;
  readonly failures: number;
}

/** The classification section. */
export interface ClassificationResult {
  readonly backends: readonly BackendResult[];
}

/** Images classified before measuring (the first inference sets kernels up). */
const WARM_UP_IMAGES = 2;

/** Workers of the pool measured: the gateway's default (CLASSIFIER_WORKERS=1). */
const WORKERS = 1;

/** Batch size: the gateway's default (CLASSIFIER_BATCH_MAX=8). */
const BATCH_MAX = 8;

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

async function measureBackend(context: BenchContext, backend: string): Promise<BackendResult> {
  const { classifyLatencyImages, classifyThroughputImages } = context.scale;
  const paths = context.assets.images.map((image) => join(context.assets.imageDir, image.name));
  const pathAt = (index: number): string => paths[index % paths.length]!;
  const pool = new ClassifierPool({
    models: singleModel(context.assets.model.dir),
    backend: backend as 'cpu' | 'wasm' | 'tensorflow',
    workers: WORKERS,
    queueMax: Math.max(1000, classifyThroughputImages),
    batchMax: BATCH_MAX,
  });
  const startedAt = performance.now();
  const model = await pool.start();
  const startMs = performance.now() - startedAt;
  try {
    for (let index = 0; index < WARM_UP_IMAGES; index++) await pool.classify(pathAt(index));
    const latencies: number[] = [];
    const outcomes: JobOutcome[] = [];
    for (let index = 0; index < classifyLatencyImages; index++) {
      const sentAt = performance.now();
      const outcome = await pool.classify(pathAt(index))!;
      latencies.push(performance.now() - sentAt);
      outcomes.push(outcome);
    }
    const burstStartedAt = performance.now();
    const burst = await Promise.all(
      Array.from({ length: classifyThroughputImages }, (_, index) => pool.classify(pathAt(index))!),
    );
    const burstMs = performance.now() - burstStartedAt;
    const succeeded = outcomes.flatMap((outcome) => (outcome.ok ? [outcome] : []));
    return {
      backend,
      actual: model.backend,
      startMs,
      imagesPerSecond: (classifyThroughputImages * 1000) / burstMs,
      latencyMs: distribution(latencies),
      decodeMs: mean(succeeded.map((outcome) => outcome.decodeMs)),
      inferenceMs: mean(succeeded.map((outcome) => outcome.inferenceMs)),
      failures: [...outcomes, ...burst].filter((outcome) => !outcome.ok).length,
    };
  } finally {
    await pool.close();
  }
}

/**
 * Classification: the gateway's classifier pool (worker threads, as the gateway runs it), in the
 * bench process, on every backend this machine has, with the run's model and the fixture images.
 */
export async function runClassification(context: BenchContext): Promise<ClassificationResult> {
  const { model } = context.assets;
  const results: BackendResult[] = [];
  for (const backend of context.assets.backends) {
    context.progress(`classification: backend ${backend}`);
    const result = await measureBackend(context, backend);
    results.push(result);
    const fellBack = result.actual === backend ? '' : ` (fell back to ${result.actual})`;
    context.record({
      key: `classification.${backend}.images-per-second`,
      section: 'classification',
      label: `${backend}${fellBack}: throughput, ${WORKERS} worker, batches ≤ ${BATCH_MAX}`,
      value: result.imagesPerSecond,
      unit: 'images/s',
      detail: `${context.scale.classifyThroughputImages} images queued at once; worker started in ${Math.round(result.startMs)} ms; ${result.failures} failures`,
    });
    context.record({
      key: `classification.${backend}.latency-p50-ms`,
      section: 'classification',
      label: `${backend}${fellBack}: latency per image, one at a time`,
      value: result.latencyMs.p50,
      unit: 'ms',
      detail:
        `p99 ${result.latencyMs.p99?.toFixed(1)} ms; in the worker: decode ${result.decodeMs?.toFixed(1)} ms, ` +
        `inference ${result.inferenceMs?.toFixed(1)} ms`,
    });
  }
  context.note(
    `Classification: model ${model.kind === 'default' ? 'models/default' : `a tiny stand-in (16×16 input; ${model.reason})`}; ` +
      `the fixture and its variants (XGA JPEGs), decoded and classified by the gateway's ClassifierPool in the bench process. ` +
      `Backends here: ${context.assets.backends.join(', ')}` +
      (context.assets.backends.includes('tensorflow')
        ? '.'
        : ' (tensorflow: @tensorflow/tfjs-node is not installed).'),
  );
  return { backends: results };
}

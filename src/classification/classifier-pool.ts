import { Worker } from 'node:worker_threads';
import { ImageDecoder, type Decoded } from './image-decoder.js';
import type {
  FromWorker,
  InferenceResult,
  JobOutcome,
  ModelInfo,
  WorkerOptions,
  WorkerReady,
} from './worker-protocol.js';
import type { PreprocessedImage } from '#vision';

/**
 * Which queue an image waits in: `fresh` (just stored, its camera may be waiting for the verdict)
 * goes before any `backlog` image (stored earlier and found unanalysed on disk).
 */
export type Lane = 'fresh' | 'backlog';

/** A worker's outcome for one image, with how long it waited and how many shared its batch. */
export type ClassifiedImage = JobOutcome & {
  /** From `classify()` to its decoding starting (0 when it never started). */
  readonly waitedMs: number;
  /** Images in its inference batch (0 when it never got there). */
  readonly batchSize: number;
};

/** A model that could not be loaded: start-up stops with this message. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

/**
 * Young generation of a worker's heap. A worker allocates little and briefly per image (the
 * tensors live in the backend's memory), and V8's default young generation, touched in full as it
 * cycles, stayed resident: measured in the bench's 255-device fleet, 4 MB instead of the default
 * took the gateway's peak RSS from 322 to 276 MB.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * Decodes at a time. The pool runs in the classifier process, whose every thread yields to the
 * gateway: a second decode, or decoding beside inference, only takes a core the gateway leaves
 * idle (the second core, on a 2-core machine, once the uploads of a burst are in).
 */
const DECODE_CONCURRENCY = 2;

interface PooledWorker {
  readonly worker: Worker;
  busy: boolean;
  /** Ids of the jobs it is classifying. */
  batch: number[];
}

interface Pending {
  readonly id: number;
  readonly imagePath: string;
  readonly queuedAt: number;
  readonly resolve: (outcome: ClassifiedImage) => void;
  waitedMs: number;
  batchSize: number;
  decodeMs: number;
  image?: PreprocessedImage;
}

export interface PoolOptions extends WorkerOptions {
  readonly workers: number;
  /** Most images waiting in the fresh lane. */
  readonly queueMax: number;
  readonly batchMax: number;
  /** Most images waiting in the backlog lane (default: one batch per worker). */
  readonly backlogMax?: number;
  /** Told the images whose decoding starts: were the process to die now, it would be on them. */
  readonly onStarted?: (imagePaths: readonly string[]) => void;
}

/**
 * Classifies images in a pipeline: this thread reads and decodes them (two at a time, on the
 * libuv pool) while worker threads run the model on the ones already decoded, an idle worker
 * taking up to `batchMax` of them as one batch. Jobs wait in two bounded lanes, fresh images first.
 */
export class ClassifierPool {
  private readonly workers: PooledWorker[] = [];
  private readonly lanes: Record<Lane, Pending[]> = { fresh: [], backlog: [] };
  /** Every job not yet settled, wherever it is (a lane, decoding, decoded, in a worker). */
  private readonly unsettled = new Map<number, Pending>();
  private readonly decoded: Pending[] = [];
  private decoding = 0;
  private decoder: ImageDecoder | undefined;
  private nextId = 0;
  private modelInfo: ModelInfo | undefined;
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  get model(): ModelInfo | undefined {
    return this.modelInfo;
  }

  /** Images waiting for their turn, both lanes. */
  get queueDepth(): number {
    return this.lanes.fresh.length + this.lanes.backlog.length;
  }

  /** Images queued or being classified. */
  get backlog(): number {
    return this.unsettled.size;
  }

  hasRoom(lane: Lane = 'fresh'): boolean {
    const max =
      lane === 'fresh'
        ? this.options.queueMax
        : (this.options.backlogMax ?? this.options.batchMax * this.options.workers);
    return this.lanes[lane].length < max;
  }

  /** Starts every worker and waits until each has loaded the model; throws `ModelLoadError` otherwise. */
  async start(): Promise<ModelInfo> {
    const started = await Promise.allSettled(
      Array.from({ length: this.options.workers }, () => this.spawn()),
    );
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) {
      await this.close();
      throw failure.reason;
    }
    const [{ model, input }] = started.map((result) => (result as PromiseFulfilledResult<WorkerReady>).value);
    this.modelInfo = model;
    this.decoder = new ImageDecoder(input!);
    this.pump();
    return model;
  }

  /** Queues an image; undefined when its lane is full (the caller keeps it for later). */
  classify(imagePath: string, lane: Lane = 'fresh'): Promise<ClassifiedImage> | undefined {
    if (this.closed || !this.hasRoom(lane)) return undefined;
    const promise = new Promise<ClassifiedImage>((resolve) => {
      const pending: Pending = {
        id: this.nextId++,
        imagePath,
        queuedAt: performance.now(),
        resolve,
        waitedMs: 0,
        batchSize: 0,
        decodeMs: 0,
      };
      this.lanes[lane].push(pending);
      this.unsettled.set(pending.id, pending);
    });
    this.pump();
    return promise;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.unsettled.values()) {
      pending.resolve({
        id: pending.id,
        ok: false,
        reason: 'closed',
        message: 'classifier closed',
        waitedMs: 0,
        batchSize: 0,
      });
    }
    this.unsettled.clear();
    this.lanes.fresh.length = 0;
    this.lanes.backlog.length = 0;
    this.decoded.length = 0;
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    this.workers.length = 0;
  }

  /** Starts decodes while there is room for them, and gives decoded images to idle workers. */
  private pump(): void {
    if (this.closed || !this.decoder) return;
    const { fresh, backlog } = this.lanes;
    const decodedMax = this.options.batchMax * Math.max(1, this.workers.length);
    const started: string[] = [];
    while (
      this.decoding < DECODE_CONCURRENCY &&
      this.decoding + this.decoded.length < decodedMax &&
      fresh.length + backlog.length > 0
    ) {
      const pending = (fresh.length > 0 ? fresh : backlog).shift()!;
      pending.waitedMs = performance.now() - pending.queuedAt;
      this.decoding++;
      started.push(pending.imagePath);
      void this.decoder.decode(pending.imagePath).then((decoded) => this.onDecoded(pending, decoded));
    }
    if (started.length > 0) this.options.onStarted?.(started);
    for (const pooled of this.workers) {
      if (this.decoded.length === 0) break;
      if (pooled.busy) continue;
      const batch = this.decoded.splice(0, this.options.batchMax);
      for (const pending of batch) pending.batchSize = batch.length;
      pooled.busy = true;
      pooled.batch = batch.map((pending) => pending.id);
      const images = batch.map((pending) => pending.image!);
      pooled.worker.postMessage(
        {
          type: 'classify',
          jobs: batch.map((pending, index) => ({ id: pending.id, image: images[index]! })),
        },
        images.map((image) => image.data.buffer as ArrayBuffer),
      );
      for (const pending of batch) pending.image = undefined;
    }
  }

  private onDecoded(pending: Pending, decoded: Decoded): void {
    this.decoding--;
    if (!this.unsettled.has(pending.id)) return;
    if (decoded.ok) {
      pending.image = decoded.image;
      pending.decodeMs = decoded.decodeMs;
      this.decoded.push(pending);
    } else {
      this.settle(pending, { id: pending.id, ok: false, reason: decoded.reason, message: decoded.message });
    }
    this.pump();
  }

  private settle(pending: Pending | undefined, outcome: JobOutcome): void {
    if (!pending) return;
    this.unsettled.delete(pending.id);
    pending.resolve({ ...outcome, waitedMs: pending.waitedMs, batchSize: pending.batchSize });
  }

  private spawn(): Promise<WorkerReady> {
    const worker = new Worker(new URL('./classifier.worker.js', import.meta.url), {
      workerData: { modelDir: this.options.modelDir, backend: this.options.backend } satisfies WorkerOptions,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    const pooled: PooledWorker = { worker, busy: true, batch: [] };
    return new Promise<WorkerReady>((resolve, reject) => {
      const onStartupError = (error: Error) =>
        reject(new ModelLoadError(`classifier worker failed to start: ${error.message}`));
      worker.once('error', onStartupError);
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            worker.off('error', onStartupError);
            worker.on('error', (error) => this.onWorkerCrash(pooled, error));
            pooled.busy = false;
            this.workers.push(pooled);
            resolve({ model: message.model, input: message.input });
            this.pump();
            break;
          case 'load-failed':
            reject(new ModelLoadError(message.message));
            void worker.terminate();
            break;
          case 'results':
            this.onResults(pooled, message.results);
            break;
        }
      });
    });
  }

  private onResults(pooled: PooledWorker, results: readonly InferenceResult[]): void {
    pooled.busy = false;
    pooled.batch = [];
    for (const result of results) {
      const pending = this.unsettled.get(result.id);
      if (!pending) continue;
      this.settle(
        pending,
        result.ok
          ? {
              id: result.id,
              ok: true,
              scores: result.scores,
              decodeMs: pending.decodeMs,
              inferenceMs: result.inferenceMs,
            }
          : { id: result.id, ok: false, reason: 'failed', message: result.message },
      );
    }
    this.pump();
  }

  /** A worker that dies fails its batch (status: analysis unavailable) and is replaced. */
  private onWorkerCrash(pooled: PooledWorker, error: Error): void {
    const index = this.workers.indexOf(pooled);
    if (index >= 0) this.workers.splice(index, 1);
    for (const id of pooled.batch) {
      this.settle(this.unsettled.get(id), {
        id,
        ok: false,
        reason: 'failed',
        message: `classifier worker crashed: ${error.message}`,
      });
    }
    if (!this.closed) void this.spawn().catch(() => undefined);
  }
}

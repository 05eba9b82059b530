import { Worker } from 'node:worker_threads';
import type { ClassifyJob, FromWorker, JobOutcome, ModelInfo, WorkerOptions } from './worker-protocol.js';

/**
 * Which queue an image waits in: `fresh` (just stored, its camera may be waiting for the verdict)
 * goes before any `backlog` image (stored earlier and found unanalysed on disk).
 */
export type Lane = 'fresh' | 'backlog';

/** A worker's outcome for one image, with how long it waited and how many shared its batch. */
export type ClassifiedImage = JobOutcome & {
  /** From `classify()` to its batch going to a worker (0 when it never went). */
  readonly waitedMs: number;
  /** Images in its batch (0 when it never went). */
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

interface PooledWorker {
  readonly worker: Worker;
  busy: boolean;
  /** Ids of the jobs it is classifying. */
  batch: number[];
}

interface Pending {
  readonly job: ClassifyJob;
  readonly queuedAt: number;
  readonly resolve: (outcome: ClassifiedImage) => void;
  waitedMs: number;
  batchSize: number;
}

export interface PoolOptions extends WorkerOptions {
  readonly workers: number;
  /** Most images waiting in the fresh lane. */
  readonly queueMax: number;
  readonly batchMax: number;
  /** Most images waiting in the backlog lane (default: one batch per worker). */
  readonly backlogMax?: number;
  /** Told the images of each batch as it goes to a worker. */
  readonly onDispatch?: (imagePaths: readonly string[]) => void;
}

/**
 * Worker threads that decode and classify images (in the classifier process, apart from the
 * gateway's event loop). Jobs wait in two bounded lanes, fresh images first; an idle worker takes
 * up to `batchMax` of them at once (one inference for the batch).
 */
export class ClassifierPool {
  private readonly workers: PooledWorker[] = [];
  private readonly lanes: Record<Lane, Pending[]> = { fresh: [], backlog: [] };
  private readonly inFlight = new Map<number, Pending>();
  private nextId = 0;
  private modelInfo: ModelInfo | undefined;
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  get model(): ModelInfo | undefined {
    return this.modelInfo;
  }

  /** Images waiting for a worker, both lanes. */
  get queueDepth(): number {
    return this.lanes.fresh.length + this.lanes.backlog.length;
  }

  /** Images queued or being classified. */
  get backlog(): number {
    return this.queueDepth + this.inFlight.size;
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
    this.modelInfo = (started[0] as PromiseFulfilledResult<ModelInfo>).value;
    return this.modelInfo;
  }

  /** Queues an image; undefined when its lane is full (the caller keeps it for later). */
  classify(imagePath: string, lane: Lane = 'fresh'): Promise<ClassifiedImage> | undefined {
    if (this.closed || !this.hasRoom(lane)) return undefined;
    const promise = new Promise<ClassifiedImage>((resolve) => {
      this.lanes[lane].push({
        job: { id: this.nextId++, imagePath },
        queuedAt: performance.now(),
        resolve,
        waitedMs: 0,
        batchSize: 0,
      });
    });
    this.dispatch();
    return promise;
  }

  /** Resolves once nothing is queued or being classified, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.backlog > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of [...this.lanes.fresh, ...this.lanes.backlog, ...this.inFlight.values()]) {
      pending.resolve({
        id: pending.job.id,
        ok: false,
        reason: 'closed',
        message: 'classifier closed',
        waitedMs: 0,
        batchSize: 0,
      });
    }
    this.lanes.fresh.length = 0;
    this.lanes.backlog.length = 0;
    this.inFlight.clear();
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    this.workers.length = 0;
  }

  private spawn(): Promise<ModelInfo> {
    const worker = new Worker(new URL('./classifier.worker.js', import.meta.url), {
      workerData: { modelDir: this.options.modelDir, backend: this.options.backend } satisfies WorkerOptions,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    const pooled: PooledWorker = { worker, busy: true, batch: [] };
    return new Promise<ModelInfo>((resolve, reject) => {
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
            resolve(message.model);
            this.dispatch();
            break;
          case 'load-failed':
            reject(new ModelLoadError(message.message));
            void worker.terminate();
            break;
          case 'results':
            this.onResults(pooled, message.outcomes);
            break;
        }
      });
    });
  }

  private dispatch(): void {
    const { fresh, backlog } = this.lanes;
    for (const pooled of this.workers) {
      if (fresh.length + backlog.length === 0) break;
      if (pooled.busy) continue;
      const batch = fresh.splice(0, this.options.batchMax);
      batch.push(...backlog.splice(0, this.options.batchMax - batch.length));
      const now = performance.now();
      for (const pending of batch) {
        pending.waitedMs = now - pending.queuedAt;
        pending.batchSize = batch.length;
        this.inFlight.set(pending.job.id, pending);
      }
      pooled.busy = true;
      pooled.batch = batch.map((pending) => pending.job.id);
      this.options.onDispatch?.(batch.map((pending) => pending.job.imagePath));
      pooled.worker.postMessage({ type: 'classify', jobs: batch.map((pending) => pending.job) });
    }
  }

  private settle(pending: Pending | undefined, outcome: JobOutcome): void {
    pending?.resolve({ ...outcome, waitedMs: pending.waitedMs, batchSize: pending.batchSize });
  }

  private onResults(pooled: PooledWorker, outcomes: readonly JobOutcome[]): void {
    pooled.busy = false;
    pooled.batch = [];
    for (const outcome of outcomes) {
      const pending = this.inFlight.get(outcome.id);
      this.inFlight.delete(outcome.id);
      this.settle(pending, outcome);
    }
    this.dispatch();
  }

  /** A worker that dies fails its batch (status: analysis unavailable) and is replaced. */
  private onWorkerCrash(pooled: PooledWorker, error: Error): void {
    const index = this.workers.indexOf(pooled);
    if (index >= 0) this.workers.splice(index, 1);
    for (const id of pooled.batch) {
      this.settle(this.inFlight.get(id), {
        id,
        ok: false,
        reason: 'failed',
        message: `classifier worker crashed: ${error.message}`,
      });
      this.inFlight.delete(id);
    }
    if (!this.closed) void this.spawn().catch(() => undefined);
  }
}

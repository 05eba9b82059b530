import { Worker } from 'node:worker_threads';
import type {
  ClassifyJob,
  FromWorker,
  JobOutcome,
  ModelChoice,
  ModelInfo,
  WorkerModels,
  WorkerOptions,
} from './worker-protocol.js';

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
  /** The models of the worker that classified it (none when it never went to one). */
  readonly models?: WorkerModels;
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
  readonly models: WorkerModels;
  busy: boolean;
  /** Ids of the jobs it is classifying. */
  batch: number[];
  /** Of a generation that was replaced: it finishes its batch, then ends. */
  retiring: boolean;
  crashed: boolean;
}

interface Pending {
  readonly job: ClassifyJob;
  readonly queuedAt: number;
  readonly resolve: (outcome: ClassifiedImage) => void;
  waitedMs: number;
  batchSize: number;
}

export interface PoolOptions extends WorkerOptions {
  /** At start, a shadow model that fails to load leaves the pool without one (logged) instead of failing. */
  readonly onShadowFailure?: (message: string) => void;
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
 *
 * Its workers are one generation: they run the same models. `useModels` starts a new generation
 * beside the one at work and, once every new worker has loaded its models, hands it the lanes; the
 * old workers finish the batch they are on and end. Nothing waits for the load, nothing queued is
 * lost, and every outcome carries the models that made it.
 */
export class ClassifierPool {
  private workers: PooledWorker[] = [];
  private readonly retiring = new Set<PooledWorker>();
  private readonly lanes: Record<Lane, Pending[]> = { fresh: [], backlog: [] };
  private readonly inFlight = new Map<number, Pending>();
  private nextId = 0;
  private choice: ModelChoice;
  private current: WorkerModels | undefined;
  private closed = false;

  constructor(private readonly options: PoolOptions) {
    this.choice = options.models;
  }

  /** The active model of the workers at work. */
  get model(): ModelInfo | undefined {
    return this.current?.active;
  }

  /** The models of the workers at work (the shadow one beside the active one, when there is one). */
  get models(): WorkerModels | undefined {
    return this.current;
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
    const workers = await this.generation(this.choice, false);
    this.workers = workers;
    this.current = workers[0]!.models;
    this.dispatch();
    return this.current.active;
  }

  /**
   * Runs `choice` from now on: a new generation of workers loads it while the current one goes on
   * classifying; once all have loaded it, they take over. Throws `ModelLoadError` (and keeps the
   * models in use) when a model, the shadow one included, cannot be loaded.
   */
  async useModels(choice: ModelChoice): Promise<WorkerModels> {
    const workers = await this.generation(choice, true);
    if (this.closed) {
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
      throw new ModelLoadError('classifier closed');
    }
    const previous = this.workers;
    this.workers = workers;
    this.choice = choice;
    this.current = workers[0]!.models;
    for (const pooled of previous) {
      if (pooled.busy) {
        pooled.retiring = true;
        this.retiring.add(pooled);
      } else void pooled.worker.terminate();
    }
    this.dispatch();
    return this.current;
  }

  /** Starts one worker per `workers` for `choice`; all of them ready, or none left running. */
  private async generation(choice: ModelChoice, requireShadow: boolean): Promise<PooledWorker[]> {
    const started = await Promise.allSettled(
      Array.from({ length: this.options.workers }, () => this.spawn(choice, requireShadow)),
    );
    const failure = started.find((result) => result.status === 'rejected');
    const workers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (failure || workers.some((pooled) => pooled.crashed)) {
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
      throw failure?.reason ?? new ModelLoadError('a classifier worker crashed after loading its models');
    }
    return workers;
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
    const workers = [...this.workers, ...this.retiring];
    this.workers = [];
    this.retiring.clear();
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }

  /** One worker for `choice`, resolved once it has loaded its models (it does not take work yet). */
  private spawn(choice: ModelChoice, requireShadow: boolean): Promise<PooledWorker> {
    const worker = new Worker(new URL('./classifier.worker.js', import.meta.url), {
      workerData: { models: choice, backend: this.options.backend } satisfies WorkerOptions,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    return new Promise<PooledWorker>((resolve, reject) => {
      let pooled: PooledWorker | undefined;
      const onStartupError = (error: Error) =>
        reject(new ModelLoadError(`classifier worker failed to start: ${error.message}`));
      worker.once('error', onStartupError);
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            worker.off('error', onStartupError);
            if (message.shadowFailure !== undefined && requireShadow) {
              reject(new ModelLoadError(message.shadowFailure));
              void worker.terminate();
              return;
            }
            if (message.shadowFailure !== undefined) this.options.onShadowFailure?.(message.shadowFailure);
            pooled = { worker, models: message.models, busy: false, batch: [], retiring: false, crashed: false };
            worker.on('error', (error) => this.onWorkerCrash(pooled!, error));
            resolve(pooled);
            break;
          case 'load-failed':
            reject(new ModelLoadError(message.message));
            void worker.terminate();
            break;
          case 'results':
            if (pooled) this.onResults(pooled, message.outcomes);
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

  private settle(pending: Pending | undefined, outcome: JobOutcome, models?: WorkerModels): void {
    pending?.resolve({ ...outcome, waitedMs: pending.waitedMs, batchSize: pending.batchSize, models });
  }

  private onResults(pooled: PooledWorker, outcomes: readonly JobOutcome[]): void {
    pooled.busy = false;
    pooled.batch = [];
    for (const outcome of outcomes) {
      const pending = this.inFlight.get(outcome.id);
      this.inFlight.delete(outcome.id);
      this.settle(pending, outcome, pooled.models);
    }
    if (pooled.retiring) {
      this.retiring.delete(pooled);
      void pooled.worker.terminate();
    }
    this.dispatch();
  }

  /**
   * A worker that dies fails its batch (status: analysis unavailable) and is replaced by one of the
   * models in use.
   */
  private onWorkerCrash(pooled: PooledWorker, error: Error): void {
    pooled.crashed = true;
    const index = this.workers.indexOf(pooled);
    if (index >= 0) this.workers.splice(index, 1);
    this.retiring.delete(pooled);
    for (const id of pooled.batch) {
      this.settle(this.inFlight.get(id), {
        id,
        ok: false,
        reason: 'failed',
        message: `classifier worker crashed: ${error.message}`,
      });
      this.inFlight.delete(id);
    }
    // Retiring, or of a generation still loading (which then fails): not replaced.
    if (this.closed || index < 0) return;
    const choice = this.choice;
    void this.spawn(choice, false)
      .then((replacement) => {
        // The models changed while it loaded: the new generation is complete without it.
        if (this.closed || choice !== this.choice) {
          void replacement.worker.terminate();
          return;
        }
        this.workers.push(replacement);
        this.dispatch();
      })
      .catch(() => undefined);
  }
}

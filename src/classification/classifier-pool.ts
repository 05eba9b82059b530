import {
  ClassifierLanes,
  decodedJobs,
  outcomeOf,
  type ClassifiedImage,
  type Lane,
  type Pending,
} from './classifier-jobs.js';
import {
  ModelLoadError,
  spawnWorker,
  startGeneration,
  type Generation,
  type PooledWorker,
  type WorkerEvents,
} from './worker-generation.js';
import type {
  InferenceResult,
  JobOutcome,
  ModelChoice,
  ModelInfo,
  WorkerModels,
  WorkerOptions,
} from './worker-protocol.js';

export { ModelLoadError } from './worker-generation.js';
export type { ClassifiedImage, Lane } from './classifier-jobs.js';

/**
 * Decodes at a time. The pool runs in the classifier process, whose every thread yields to the
 * gateway: a second decode, or decoding beside inference, only takes a core the gateway leaves
 * idle (the second core, on a 2-core machine, once the uploads of a burst are in).
 */
const DECODE_CONCURRENCY = 2;

export interface PoolOptions extends WorkerOptions {
  /** At start, a shadow model that fails to load leaves the pool without one (logged) instead of failing. */
  readonly onShadowFailure?: (message: string) => void;
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
 *
 * Its workers are one generation: they run the same models. `useModels` starts a new generation
 * beside the one at work and, once every new worker has loaded its models, hands it the lanes
 * (images decoded for the old one are decoded again); the old workers finish the batch they are
 * on and end. Nothing waits for the load, nothing queued is lost, and every outcome carries the
 * models that made it.
 */
export class ClassifierPool {
  private current: Generation | undefined;
  private readonly retiring = new Set<PooledWorker>();
  private readonly lanes: ClassifierLanes;
  /** Every job not yet settled, wherever it is (a lane, decoding, decoded, in a worker). */
  private readonly unsettled = new Map<number, Pending>();
  private readonly decoded: Pending[] = [];
  private decoding = 0;
  private nextId = 0;
  private closed = false;

  private readonly events: WorkerEvents = {
    onResults: (pooled, results) => this.onResults(pooled, results),
    onCrash: (pooled, error) => this.onWorkerCrash(pooled, error),
    onShadowFailure: (message) => this.options.onShadowFailure?.(message),
  };

  constructor(private readonly options: PoolOptions) {
    this.lanes = new ClassifierLanes({
      fresh: options.queueMax,
      backlog: options.backlogMax ?? options.batchMax * options.workers,
    });
  }

  /** Starts one worker per `workers` for `choice`; all of them ready, or none left running. */
  private generation(choice: ModelChoice, requireShadow: boolean): Promise<Generation> {
    return startGeneration(
      { choice, backend: this.options.backend, requireShadow },
      this.options.workers,
      this.events,
    );
  }

  /** The active model of the workers at work. */
  get model(): ModelInfo | undefined {
    return this.current?.models.active;
  }

  /** The models of the workers at work (the shadow one beside the active one, when there is one). */
  get models(): WorkerModels | undefined {
    return this.current?.models;
  }

  /** Images waiting for their turn, both lanes. */
  get queueDepth(): number {
    return this.lanes.depth;
  }

  /** Images queued or being classified. */
  get backlog(): number {
    return this.unsettled.size;
  }

  hasRoom(lane: Lane = 'fresh'): boolean {
    return this.lanes.hasRoom(lane);
  }

  /** Starts every worker and waits until each has loaded the model; throws `ModelLoadError` otherwise. */
  async start(): Promise<ModelInfo> {
    this.current = await this.generation(this.options.models, false);
    this.pump();
    return this.current.models.active;
  }

  /**
   * Runs `choice` from now on: a new generation of workers loads it while the current one goes on
   * classifying; once all have loaded it, they take over. Throws `ModelLoadError` (and keeps the
   * models in use) when a model, the shadow one included, cannot be loaded.
   */
  async useModels(choice: ModelChoice): Promise<WorkerModels> {
    const next = await this.generation(choice, true);
    if (this.closed) {
      await Promise.all(next.workers.map(({ worker }) => worker.terminate()));
      throw new ModelLoadError('classifier closed');
    }
    const previous = this.current;
    this.current = next;
    for (const pooled of previous?.workers ?? []) {
      if (pooled.busy) {
        pooled.retiring = true;
        this.retiring.add(pooled);
      } else void pooled.worker.terminate();
    }
    // Decoded for the old models: back to the head of their lanes, in order.
    for (const pending of this.decoded.splice(0).reverse()) this.lanes.putBack(pending);
    this.pump();
    return next.models;
  }

  /** Queues an image; undefined when its lane is full (the caller keeps it for later). */
  classify(imagePath: string, lane: Lane = 'fresh'): Promise<ClassifiedImage> | undefined {
    if (this.closed || !this.hasRoom(lane)) return undefined;
    const promise = new Promise<ClassifiedImage>((resolve) => {
      const pending: Pending = {
        id: this.nextId++,
        imagePath,
        lane,
        queuedAt: performance.now(),
        resolve,
        waitedMs: 0,
        batchSize: 0,
        decodeMs: 0,
      };
      this.lanes.push(pending);
      this.unsettled.set(pending.id, pending);
    });
    this.pump();
    return promise;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of [...this.unsettled.values()])
      this.settle(pending, { id: pending.id, ok: false, reason: 'closed', message: 'classifier closed' });
    this.lanes.clear();
    this.decoded.length = 0;
    const workers = [...(this.current?.workers ?? []), ...this.retiring];
    this.current?.workers.splice(0);
    this.retiring.clear();
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }

  /** Starts decodes while there is room for them, and gives decoded images to idle workers. */
  private pump(): void {
    const generation = this.current;
    if (this.closed || !generation) return;
    const decodedMax = this.options.batchMax * Math.max(1, generation.workers.length);
    const started: string[] = [];
    while (
      this.decoding < DECODE_CONCURRENCY &&
      this.decoding + this.decoded.length < decodedMax &&
      this.lanes.depth > 0
    ) {
      const pending = this.lanes.next()!;
      pending.waitedMs = performance.now() - pending.queuedAt;
      this.decoding++;
      started.push(pending.imagePath);
      void this.decode(pending, generation).then(() => this.onDecoded(pending, generation));
    }
    if (started.length > 0) this.options.onStarted?.(started);
    for (const pooled of generation.workers) {
      if (this.decoded.length === 0) break;
      if (pooled.busy) continue;
      this.send(pooled, this.decoded.splice(0, this.options.batchMax));
    }
  }

  /** Decodes for the generation's models: the active one's input, and the shadow's when it differs. */
  private async decode(pending: Pending, generation: Generation): Promise<void> {
    const decoded = await generation.decoder.decode(pending.imagePath);
    if (!decoded.ok) {
      this.settle(pending, { id: pending.id, ok: false, reason: decoded.reason, message: decoded.message });
      return;
    }
    pending.decodedFor = generation;
    pending.image = decoded.image;
    pending.decodeMs = decoded.decodeMs;
    if (!generation.shadowDecoder) return;
    const forShadow = await generation.shadowDecoder.decode(pending.imagePath);
    pending.shadowImage = forShadow.ok ? forShadow.image : null;
    pending.shadowError = forShadow.ok ? undefined : forShadow.message;
  }

  private onDecoded(pending: Pending, generation: Generation): void {
    this.decoding--;
    if (!this.unsettled.has(pending.id) || !pending.image) return this.pump();
    if (generation === this.current) this.decoded.push(pending);
    // The models changed while it was decoded.
    else this.lanes.putBack(pending);
    this.pump();
  }

  private send(pooled: PooledWorker, batch: Pending[]): void {
    for (const pending of batch) pending.batchSize = batch.length;
    pooled.busy = true;
    pooled.batch = batch.map((pending) => pending.id);
    const { jobs, transfer } = decodedJobs(batch);
    pooled.worker.postMessage({ type: 'classify', jobs }, transfer);
    for (const pending of batch) Object.assign(pending, { image: undefined, shadowImage: undefined });
  }

  private settle(pending: Pending | undefined, outcome: JobOutcome, models?: WorkerModels): void {
    if (!pending || !this.unsettled.delete(pending.id)) return;
    pending.resolve({ ...outcome, waitedMs: pending.waitedMs, batchSize: pending.batchSize, models });
  }

  private onResults(pooled: PooledWorker, results: readonly InferenceResult[]): void {
    pooled.busy = false;
    pooled.batch = [];
    for (const result of results) {
      const pending = this.unsettled.get(result.id);
      if (!pending) continue;
      this.settle(pending, outcomeOf(result, pending), pooled.models);
    }
    if (pooled.retiring) {
      this.retiring.delete(pooled);
      void pooled.worker.terminate();
    }
    this.pump();
  }

  /**
   * A worker that dies fails its batch (status: analysis unavailable) and is replaced by one of the
   * models in use.
   */
  private onWorkerCrash(pooled: PooledWorker, error: Error): void {
    pooled.crashed = true;
    const generation = this.current;
    const index = generation ? generation.workers.indexOf(pooled) : -1;
    if (generation && index >= 0) generation.workers.splice(index, 1);
    this.retiring.delete(pooled);
    for (const id of pooled.batch) {
      this.settle(this.unsettled.get(id), {
        id,
        ok: false,
        reason: 'failed',
        message: `classifier worker crashed: ${error.message}`,
      });
    }
    // Retiring, or of a generation still loading (which then fails): not replaced.
    if (this.closed || !generation || index < 0) return;
    void spawnWorker(
      { choice: generation.choice, backend: this.options.backend, requireShadow: false },
      this.events,
    )
      .then((replacement) => {
        // The models changed while it loaded: the new generation is complete without it.
        if (this.closed || generation !== this.current) {
          void replacement.worker.terminate();
          return;
        }
        generation.workers.push(replacement);
        this.pump();
      })
      .catch(() => undefined);
  }
}

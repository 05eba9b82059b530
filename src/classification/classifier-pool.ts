import { Worker } from 'node:worker_threads';
import type { ClassifyJob, FromWorker, JobOutcome, ModelInfo, WorkerOptions } from './worker-protocol.js';

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
  readonly resolve: (outcome: JobOutcome) => void;
}

/**
 * Worker threads that decode and classify images, so neither JPEG decoding nor inference ever
 * runs on the event loop that answers the cameras. Jobs wait in a bounded queue; an idle worker
 * takes up to `batchMax` of them at once (one inference for the batch).
 */
export class ClassifierPool {
  private readonly workers: PooledWorker[] = [];
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending>();
  /** Callers waiting for the queue to have room again. */
  private readonly roomWaiters: (() => void)[] = [];
  private nextId = 0;
  private modelInfo: ModelInfo | undefined;
  private closed = false;

  constructor(
    private readonly options: WorkerOptions & {
      readonly workers: number;
      readonly queueMax: number;
      readonly batchMax: number;
    },
  ) {}

  get model(): ModelInfo | undefined {
    return this.modelInfo;
  }

  /** Images waiting for a worker. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Images queued or being classified. */
  get backlog(): number {
    return this.queue.length + this.inFlight.size;
  }

  get hasRoom(): boolean {
    return this.queue.length < this.options.queueMax;
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

  /** Queues an image; undefined when the queue is full (the caller keeps it for later). */
  classify(imagePath: string): Promise<JobOutcome> | undefined {
    if (this.closed || !this.hasRoom) return undefined;
    const promise = new Promise<JobOutcome>((resolve) => {
      this.queue.push({ job: { id: this.nextId++, imagePath }, resolve });
    });
    this.dispatch();
    return promise;
  }

  /** Resolves once the queue has room (at once when it has), or when the pool closes. */
  whenRoom(): Promise<void> {
    if (this.closed || this.hasRoom) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves once nothing is queued or being classified, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.backlog > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of [...this.queue, ...this.inFlight.values()]) {
      pending.resolve({ id: pending.job.id, ok: false, reason: 'closed', message: 'classifier closed' });
    }
    this.queue.length = 0;
    this.inFlight.clear();
    this.wakeRoomWaiters();
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    this.workers.length = 0;
  }

  private spawn(): Promise<ModelInfo> {
    const worker = new Worker(new URL('./classifier.worker.js', import.meta.url), {
      workerData: this.options,
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
    for (const pooled of this.workers) {
      if (this.queue.length === 0) break;
      if (pooled.busy) continue;
      const batch = this.queue.splice(0, this.options.batchMax);
      for (const pending of batch) this.inFlight.set(pending.job.id, pending);
      pooled.busy = true;
      pooled.batch = batch.map((pending) => pending.job.id);
      pooled.worker.postMessage({ type: 'classify', jobs: batch.map((pending) => pending.job) });
    }
    this.wakeRoomWaiters();
  }

  private wakeRoomWaiters(): void {
    while (this.roomWaiters.length > 0 && (this.closed || this.hasRoom)) this.roomWaiters.shift()!();
  }

  private onResults(pooled: PooledWorker, outcomes: readonly JobOutcome[]): void {
    pooled.busy = false;
    pooled.batch = [];
    for (const outcome of outcomes) {
      const pending = this.inFlight.get(outcome.id);
      this.inFlight.delete(outcome.id);
      pending?.resolve(outcome);
    }
    this.dispatch();
  }

  /** A worker that dies fails its batch (status: analysis unavailable) and is replaced. */
  private onWorkerCrash(pooled: PooledWorker, error: Error): void {
    const index = this.workers.indexOf(pooled);
    if (index >= 0) this.workers.splice(index, 1);
    for (const id of pooled.batch) {
      this.inFlight.get(id)?.resolve({
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

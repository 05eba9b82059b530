import { Worker } from 'node:worker_threads';
import { ImageDecoder } from './image-decoder.js';
import {
  sameInput,
  type FromWorker,
  type InferenceResult,
  type ModelChoice,
  type WorkerModels,
  type WorkerOptions,
  type WorkerReady,
} from './worker-protocol.js';

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

/** An inference worker thread whose models are loaded. */
export interface PooledWorker extends WorkerReady {
  readonly worker: Worker;
  busy: boolean;
  /** Ids of the jobs it is classifying. */
  batch: number[];
  /** Of a generation that was replaced: it finishes its batch, then ends. */
  retiring: boolean;
  crashed: boolean;
}

/** Workers that run the same models, and the decoders of their input. */
export interface Generation {
  readonly choice: ModelChoice;
  readonly workers: PooledWorker[];
  readonly models: WorkerModels;
  readonly decoder: ImageDecoder;
  /** When the shadow model takes another input than the active one. */
  readonly shadowDecoder?: ImageDecoder;
}

/** What the pool hears of its workers once they are ready. */
export interface WorkerEvents {
  readonly onResults: (pooled: PooledWorker, results: readonly InferenceResult[]) => void;
  readonly onCrash: (pooled: PooledWorker, error: Error) => void;
  /** A shadow model that did not load, where the worker may run the active one alone. */
  readonly onShadowFailure?: (message: string) => void;
}

export interface SpawnOptions {
  readonly choice: ModelChoice;
  readonly backend: WorkerOptions['backend'];
  /** A shadow model that does not load fails the worker (a swap), instead of being left out (a start). */
  readonly requireShadow: boolean;
}

/** One worker for `choice`, resolved once it has loaded its models (it does not take work yet). */
export function spawnWorker(options: SpawnOptions, events: WorkerEvents): Promise<PooledWorker> {
  const worker = new Worker(new URL('./classifier.worker.js', import.meta.url), {
    workerData: { models: options.choice, backend: options.backend } satisfies WorkerOptions,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  return new Promise<PooledWorker>((resolve, reject) => {
    let pooled: PooledWorker | undefined;
    const onStartupError = (error: Error) =>
      reject(new ModelLoadError(`classifier worker failed to start: ${error.message}`));
    worker.once('error', onStartupError);
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready': {
          worker.off('error', onStartupError);
          if (message.shadowFailure !== undefined && options.requireShadow) {
            reject(new ModelLoadError(message.shadowFailure));
            void worker.terminate();
            return;
          }
          if (message.shadowFailure !== undefined) events.onShadowFailure?.(message.shadowFailure);
          const { models, input, shadowInput } = message;
          const ready: PooledWorker = {
            worker,
            models,
            input,
            shadowInput,
            busy: false,
            batch: [],
            retiring: false,
            crashed: false,
          };
          pooled = ready;
          worker.on('error', (error) => events.onCrash(ready, error));
          resolve(ready);
          break;
        }
        case 'load-failed':
          reject(new ModelLoadError(message.message));
          void worker.terminate();
          break;
        case 'results':
          if (pooled) events.onResults(pooled, message.results);
          break;
      }
    });
  });
}

/** Starts `count` workers for `choice`: all of them ready, or none left running. */
export async function startGeneration(
  options: SpawnOptions,
  count: number,
  events: WorkerEvents,
): Promise<Generation> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => spawnWorker(options, events)));
  const failure = started.find((result) => result.status === 'rejected');
  const workers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  if (failure || workers.some((pooled) => pooled.crashed)) {
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
    throw failure?.reason ?? new ModelLoadError('a classifier worker crashed after loading its models');
  }
  const [{ models, input, shadowInput }] = workers as [PooledWorker];
  return {
    choice: options.choice,
    workers,
    models,
    decoder: new ImageDecoder(input),
    shadowDecoder: shadowInput && !sameInput(input, shadowInput) ? new ImageDecoder(shadowInput) : undefined,
  };
}

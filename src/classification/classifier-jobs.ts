import type { PreprocessedImage } from '#vision';
import type { DecodedJob, InferenceResult, JobOutcome, WorkerModels } from './worker-protocol.js';
import type { Generation } from './worker-generation.js';

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
  /** The models of the worker that classified it (none when it never went to one). */
  readonly models?: WorkerModels;
};

/** An image the pool took, from its lane to its outcome. */
export interface Pending {
  readonly id: number;
  readonly imagePath: string;
  readonly lane: Lane;
  readonly queuedAt: number;
  readonly resolve: (outcome: ClassifiedImage) => void;
  waitedMs: number;
  batchSize: number;
  decodeMs: number;
  /** The generation it was decoded for, and the pixels. */
  decodedFor?: Generation;
  image?: PreprocessedImage;
  shadowImage?: PreprocessedImage | null;
  shadowError?: string;
}

/** Two bounded queues of images waiting to be decoded: any fresh image before any backlog one. */
export class ClassifierLanes {
  private readonly queues: Record<Lane, Pending[]> = { fresh: [], backlog: [] };

  constructor(private readonly capacity: Readonly<Record<Lane, number>>) {}

  /** Images waiting, both lanes. */
  get depth(): number {
    return this.queues.fresh.length + this.queues.backlog.length;
  }

  hasRoom(lane: Lane): boolean {
    return this.queues[lane].length < this.capacity[lane];
  }

  push(pending: Pending): void {
    this.queues[pending.lane].push(pending);
  }

  /** The next image to decode: the oldest fresh one, else the oldest backlog one. */
  next(): Pending | undefined {
    return (this.queues.fresh.length > 0 ? this.queues.fresh : this.queues.backlog).shift();
  }

  /** Back to the head of its lane, its decoding forgotten (it was for models no longer in use). */
  putBack(pending: Pending): void {
    Object.assign(pending, {
      decodedFor: undefined,
      image: undefined,
      shadowImage: undefined,
      shadowError: undefined,
    });
    this.queues[pending.lane].unshift(pending);
  }

  clear(): void {
    this.queues.fresh.length = 0;
    this.queues.backlog.length = 0;
  }
}

/** A batch of decoded images as a worker takes them, and the pixel buffers to hand over with it. */
export function decodedJobs(batch: readonly Pending[]): { jobs: DecodedJob[]; transfer: ArrayBuffer[] } {
  const jobs = batch.map((pending) => ({
    id: pending.id,
    image: pending.image!,
    ...(pending.shadowImage !== undefined ? { shadowImage: pending.shadowImage } : {}),
  }));
  const transfer = jobs.flatMap((job) =>
    [job.image, job.shadowImage ?? undefined].flatMap((image) =>
      image ? [image.data.buffer as ArrayBuffer] : [],
    ),
  );
  return { jobs, transfer };
}

/** What a worker's result means for the image: its scores (and its shadow model's), or why not. */
export function outcomeOf(result: InferenceResult, pending: Pending): JobOutcome {
  if (!result.ok) return { id: result.id, ok: false, reason: 'failed', message: result.message };
  const shadow =
    result.shadow && pending.shadowError !== undefined
      ? { ok: false as const, message: `not decoded for the shadow model: ${pending.shadowError}` }
      : result.shadow;
  return {
    id: result.id,
    ok: true,
    scores: result.scores,
    decodeMs: pending.decodeMs,
    inferenceMs: result.inferenceMs,
    ...(shadow ? { shadow } : {}),
  };
}

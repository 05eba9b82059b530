import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { ClassificationService } from '../classification/classification.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { Environment } from '../config/index.js';
import { analysisOf, type ImageSummary } from '../results/image-summary.js';
import { ResultsService } from '../results/results.service.js';
import type { ImageRecord, ImageReview } from '../storage/image-record.js';
import { ImageStore } from '../storage/image-store.js';
import {
  decodeQueuePosition,
  encodeQueuePosition,
  nextInQueue,
  reviewQueue,
  type QueuedImage,
  type ReviewTier,
} from './review-queue.js';

/** A label a reviewer may add: what a folder name and a metric label can carry. */
const NEW_LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `GET /api/review/next` */
export interface ReviewNext {
  /** The image to look at, with every score of its analysis; null when nothing is left. */
  readonly image:
    (ImageSummary & { readonly scores: Record<string, number> | null; readonly photo: string }) | null;
  readonly tier: ReviewTier | null;
  /** Pass as `after` for the image behind this one (what skipping it does). */
  readonly cursor: string | null;
  /** Images not reviewed yet in each part of the queue, this one included. */
  readonly remaining: Readonly<Record<ReviewTier, number>>;
  /** The labels a reviewer picks from: the active model's, then those reviewers added. */
  readonly labels: readonly string[];
}

/** `PUT /api/images/<id>/review` */
export interface ReviewBody {
  readonly label?: unknown;
  /** A label none of the models knows is taken only with this set. */
  readonly newLabel?: unknown;
}

/**
 * A person's review of the stored images: the queue of what to look at (from the index of recent
 * images), and the label they give, written into the image's sidecar (`review: { label, at }`;
 * the JPEG is never touched) and into the index. Reviews of one image are written one at a time.
 * An image is reviewed only once its analysis is recorded: the classifier writes that sidecar
 * then, never after.
 */
@Injectable()
export class ReviewService {
  private readonly logger = new Logger('Review');
  private readonly writing = new Map<string, Promise<unknown>>();
  private cached: { version: number; queue: QueuedImage[]; reviewLabels: string[] } | undefined;

  constructor(
    private readonly env: Environment,
    private readonly results: ResultsService,
    private readonly store: ImageStore,
    private readonly classification: ClassificationService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  next(after?: string): ReviewNext {
    const position = after === undefined ? undefined : decodeQueuePosition(after);
    if (after !== undefined && !position)
      throw new BadRequestException('after must be the cursor of an image of the review queue');
    const { queue, reviewLabels } = this.current();
    const next = nextInQueue(queue, position);
    const remaining = { uncertain: 0, defect: 0, pass: 0 };
    for (const queued of queue) remaining[queued.tier]++;
    const labels = [...(this.classification.model?.labels ?? [])];
    for (const label of reviewLabels) if (!labels.includes(label)) labels.push(label);
    if (!next) return { image: null, tier: null, cursor: null, remaining, labels };
    const { image } = next;
    return {
      image: {
        ...image.summary,
        scores: analysisOf(image.record)?.scores ?? null,
        photo: `/images/${image.imageId}.jpg`,
      },
      tier: next.tier,
      cursor: encodeQueuePosition(next.position),
      remaining,
      labels,
    };
  }

  /** Records what a reviewer says image `imageId` shows; answers the record as now written. */
  review(imageId: string, body: ReviewBody): Promise<ImageRecord> {
    return this.oneAtATime(imageId, async () => {
      const record = await this.analysedRecord(imageId);
      const label = this.checkedLabel(record, body);
      const review: ImageReview = { label, at: new Date(this.clock.now()).toISOString() };
      const updated = await this.write(imageId, { review });
      this.logger.log({ msg: 'image reviewed', imageId, label, model: analysisOf(record)?.label ?? null });
      return updated;
    });
  }

  /** Takes the review of an image back (what U does on the page); answers the record as now written. */
  undo(imageId: string): Promise<ImageRecord> {
    return this.oneAtATime(imageId, async () => {
      await this.analysedRecord(imageId);
      return this.write(imageId, { review: undefined });
    });
  }

  private current(): { queue: QueuedImage[]; reviewLabels: string[] } {
    const version = this.results.images.version;
    if (this.cached?.version === version) return this.cached;
    const images = [...this.results.images.newest()];
    const reviewLabels = new Set<string>();
    for (const image of images) if (image.record.review) reviewLabels.add(image.record.review.label);
    this.cached = {
      version,
      queue: reviewQueue(images, this.env.REVIEW_PASS_SAMPLE),
      reviewLabels: [...reviewLabels].sort(),
    };
    return this.cached;
  }

  private async analysedRecord(imageId: string): Promise<ImageRecord> {
    const record = await this.results.record(imageId);
    if (!record) throw new NotFoundException(`no image ${imageId}`);
    if (record.analysis === undefined)
      throw new ConflictException(`image ${imageId} is not analysed yet: review it once it is`);
    return record;
  }

  /** The label asked for, when it is one of the models' or reviewers', or a new one asked for as such. */
  private checkedLabel(record: ImageRecord, body: ReviewBody): string {
    const { label, newLabel } = body ?? {};
    if (typeof label !== 'string' || label.length === 0 || label.length > 64)
      throw new BadRequestException('label must be a non-empty string of at most 64 characters');
    if (newLabel !== undefined && typeof newLabel !== 'boolean')
      throw new BadRequestException('newLabel must be true or false');
    const known = new Set([
      ...(this.classification.model?.labels ?? []),
      ...Object.keys(analysisOf(record)?.scores ?? {}),
      ...this.current().reviewLabels,
    ]);
    if (known.has(label)) return label;
    if (newLabel !== true)
      throw new BadRequestException(
        `label ${label} is not one of the known labels (${[...known].join(', ')}); ` +
          'send "newLabel": true to add it',
      );
    if (!NEW_LABEL.test(label))
      throw new BadRequestException(
        'a new label is letters, digits, dots, dashes and underscores, at most 64',
      );
    return label;
  }

  private async write(imageId: string, patch: Partial<ImageRecord>): Promise<ImageRecord> {
    const photo = this.store.imagePathOf(imageId)!;
    const updated = await this.store.updateRecord({ sidecarPath: photo.replace(/\.jpg$/, '.json') }, patch);
    this.results.reviewed(updated);
    return updated;
  }

  private oneAtATime<T>(imageId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.writing.get(imageId) ?? Promise.resolve()).then(work, work);
    const settled = run.catch(() => undefined);
    this.writing.set(imageId, settled);
    void settled.then(() => {
      if (this.writing.get(imageId) === settled) this.writing.delete(imageId);
    });
    return run;
  }
}

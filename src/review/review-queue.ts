import { createHash } from 'node:crypto';
import type { IndexedImage } from '../results/recent-images.js';

/** The parts of the review queue, in the order a person sees them. */
export const REVIEW_TIERS = ['uncertain', 'defect', 'pass'] as const;
export type ReviewTier = (typeof REVIEW_TIERS)[number];

/** Where an image stands in the queue: by tier, then least confident first, then newest first. */
export interface QueuePosition {
  readonly tier: number;
  readonly confidence: number;
  readonly storedAtMs: number;
  readonly imageId: string;
}

export interface QueuedImage {
  readonly image: IndexedImage;
  readonly tier: ReviewTier;
  readonly position: QueuePosition;
}

function compare(a: QueuePosition, b: QueuePosition): number {
  return (
    a.tier - b.tier ||
    a.confidence - b.confidence ||
    b.storedAtMs - a.storedAtMs ||
    (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0)
  );
}

/**
 * Whether a passed image is among the sampled ones: a fixed share of them, picked by a hash of
 * the id, so that the queue asks about the same passes every time and skipping one is for good.
 */
export function inPassSample(imageId: string, share: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  return createHash('sha256').update(imageId).digest().readUInt32BE(0) / 0x1_0000_0000 < share;
}

/**
 * The images a person should look at, from the index: those analysed and not reviewed yet,
 * uncertain first, then defects, then a sample (`passShare`) of the passes (false passes are the
 * costly mistakes); in each part the least confident first.
 */
export function reviewQueue(images: Iterable<IndexedImage>, passShare: number): QueuedImage[] {
  const queued: QueuedImage[] = [];
  for (const image of images) {
    const { summary } = image;
    if (summary.status !== 'analysed' || summary.verdict === null || image.record.review !== undefined)
      continue;
    if (summary.verdict === 'pass' && !inPassSample(image.imageId, passShare)) continue;
    const tier = summary.verdict;
    queued.push({
      image,
      tier,
      position: {
        tier: REVIEW_TIERS.indexOf(tier),
        confidence: summary.confidence ?? 0,
        storedAtMs: image.storedAtMs,
        imageId: image.imageId,
      },
    });
  }
  return queued.sort((a, b) => compare(a.position, b.position));
}

/** The first image of `queue` after `after` (the whole queue without it). */
export function nextInQueue(queue: readonly QueuedImage[], after?: QueuePosition): QueuedImage | undefined {
  if (!after) return queue[0];
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(queue[middle]!.position, after) <= 0) low = middle + 1;
    else high = middle;
  }
  return queue[low];
}

export function encodeQueuePosition(position: QueuePosition): string {
  const { tier, confidence, storedAtMs, imageId } = position;
  return Buffer.from(JSON.stringify([tier, confidence, storedAtMs, imageId])).toString('base64url');
}

/** The position a cursor names; undefined for anything this queue did not make. */
export function decodeQueuePosition(cursor: string): QueuePosition | undefined {
  try {
    const [tier, confidence, storedAtMs, imageId] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      typeof tier === 'number' &&
      typeof confidence === 'number' &&
      typeof storedAtMs === 'number' &&
      typeof imageId === 'string'
    )
      return { tier, confidence, storedAtMs, imageId };
  } catch {
    // not one of ours
  }
  return undefined;
}

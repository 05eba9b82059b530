import type { ImageRecord } from '../storage/image-record.js';
import { summarizeImage, type AnalysisState, type ImageSummary, type VerdictName } from './image-summary.js';

/** One image of the index: its whole record (the sidecar) and what the API shows of it. */
export interface IndexedImage {
  readonly imageId: string;
  readonly record: ImageRecord;
  readonly summary: ImageSummary;
  /** Milliseconds of `storedAt`: the index's order, with the id to break ties. */
  readonly storedAtMs: number;
}

/** Where a page of newest-first results stopped: the next page starts strictly older. */
export interface IndexPosition {
  readonly storedAtMs: number;
  readonly imageId: string;
}

/** What `newest` keeps; every field given must match. */
export interface ImageFilter {
  /** A camera (`<id>_<address>`) or, as a number, every camera with that device id. */
  readonly device?: string | number;
  readonly verdict?: VerdictName;
  readonly status?: AnalysisState;
  readonly label?: string;
  /** Stored at or after (ms). */
  readonly sinceMs?: number;
  /** Stored before (ms). */
  readonly untilMs?: number;
}

function compare(a: IndexPosition, b: IndexPosition): number {
  if (a.storedAtMs !== b.storedAtMs) return a.storedAtMs - b.storedAtMs;
  return a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0;
}

function indexed(record: ImageRecord): IndexedImage {
  const storedAtMs = Date.parse(record.timings.storedAt);
  return {
    imageId: record.imageId,
    record,
    summary: summarizeImage(record),
    storedAtMs: Number.isNaN(storedAtMs) ? 0 : storedAtMs,
  };
}

function matches(image: IndexedImage, filter: ImageFilter): boolean {
  const { summary } = image;
  if (typeof filter.device === 'number' && summary.deviceId !== filter.device) return false;
  if (typeof filter.device === 'string' && summary.deviceKey !== filter.device) return false;
  if (filter.verdict !== undefined && summary.verdict !== filter.verdict) return false;
  if (filter.status !== undefined && summary.status !== filter.status) return false;
  if (filter.label !== undefined && summary.label !== filter.label) return false;
  return true;
}

/**
 * The newest stored images, in memory, in the order they were stored: what the pages and the API
 * answer from instead of reading sidecars. At most `capacity`; past it the oldest leave. Images
 * come live (stored, then analysed) and from a start-up scan of the disk, which never overwrites
 * what came live. `version` changes with every change, for caches.
 */
export class RecentImages {
  /** Oldest first. */
  private readonly images: IndexedImage[] = [];
  private readonly byId = new Map<string, IndexedImage>();
  private changes = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.images.length;
  }

  get version(): number {
    return this.changes;
  }

  /** When the oldest image kept was stored; undefined when empty. */
  get oldestStoredAtMs(): number | undefined {
    return this.images[0]?.storedAtMs;
  }

  get(imageId: string): IndexedImage | undefined {
    return this.byId.get(imageId);
  }

  /** A live record (newly stored, or its analysis recorded): replaces what the index had of it. */
  upsert(record: ImageRecord): { readonly image: IndexedImage; readonly previous?: IndexedImage } {
    const image = indexed(record);
    const previous = this.byId.get(record.imageId);
    if (previous) this.remove(previous);
    this.insert(image);
    this.changes++;
    this.trim();
    return { image, previous };
  }

  /**
   * Records read from disk at start-up (any order). Images the index has already are left as
   * they are (what came live is newer); when full, records older than everything kept are
   * ignored. Returns the images added.
   */
  addScanned(records: readonly ImageRecord[]): IndexedImage[] {
    const fresh = records
      .filter((record) => !this.byId.has(record.imageId))
      .map(indexed)
      .sort(compare);
    if (fresh.length === 0) return [];
    const merged: IndexedImage[] = [];
    let kept = 0;
    let added = 0;
    while (kept < this.images.length || added < fresh.length) {
      const next =
        added >= fresh.length ||
        (kept < this.images.length && compare(this.images[kept]!, fresh[added]!) <= 0)
          ? this.images[kept++]!
          : fresh[added++]!;
      merged.push(next);
    }
    const overflow = Math.max(0, merged.length - this.capacity);
    const dropped = new Set(merged.slice(0, overflow));
    this.images.splice(0, this.images.length, ...merged.slice(overflow));
    for (const image of dropped) this.byId.delete(image.imageId);
    const accepted = fresh.filter((image) => !dropped.has(image));
    for (const image of accepted) this.byId.set(image.imageId, image);
    if (accepted.length > 0 || dropped.size > 0) this.changes++;
    return accepted;
  }

  /** Drops an image whose files are gone (pruned); true when it was there. */
  forget(imageId: string): boolean {
    const image = this.byId.get(imageId);
    if (!image) return false;
    this.remove(image);
    this.changes++;
    return true;
  }

  /** Drops every image `gone` says is gone; returns how many. */
  forgetWhere(gone: (image: IndexedImage) => boolean): number {
    const before = this.images.length;
    for (let index = this.images.length - 1; index >= 0; index--) {
      const image = this.images[index]!;
      if (!gone(image)) continue;
      this.images.splice(index, 1);
      this.byId.delete(image.imageId);
    }
    const forgotten = before - this.images.length;
    if (forgotten > 0) this.changes++;
    return forgotten;
  }

  /** Newest first, matching `filter`, strictly older than `after` when given. */
  *newest(filter: ImageFilter = {}, after?: IndexPosition): Generator<IndexedImage> {
    let index = after === undefined ? this.images.length - 1 : this.positionBefore(after);
    for (; index >= 0; index--) {
      const image = this.images[index]!;
      if (filter.untilMs !== undefined && image.storedAtMs >= filter.untilMs) continue;
      if (filter.sinceMs !== undefined && image.storedAtMs < filter.sinceMs) return;
      if (matches(image, filter)) yield image;
    }
  }

  /** The index of the newest image strictly older than `position` (-1 when none). */
  private positionBefore(position: IndexPosition): number {
    let low = 0;
    let high = this.images.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(this.images[middle]!, position) < 0) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  private insert(image: IndexedImage): void {
    const last = this.images[this.images.length - 1];
    if (!last || compare(last, image) <= 0) this.images.push(image);
    else this.images.splice(this.positionBefore(image) + 1, 0, image);
    this.byId.set(image.imageId, image);
  }

  private remove(image: IndexedImage): void {
    const index = this.positionBefore(image) + 1;
    if (this.images[index] === image) this.images.splice(index, 1);
    else {
      const found = this.images.indexOf(image);
      if (found >= 0) this.images.splice(found, 1);
    }
    this.byId.delete(image.imageId);
  }

  private trim(): void {
    const overflow = this.images.length - this.capacity;
    if (overflow <= 0) return;
    for (const image of this.images.splice(0, overflow)) this.byId.delete(image.imageId);
  }
}

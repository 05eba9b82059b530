import type { ImageKind, RetentionClass } from './retention-policy.js';
import { SortedNames } from './sorted-names.js';

/** Image kinds remembered across passes, all buckets together, at most (a few MB). */
const MAX_REMEMBERED_KINDS = 200_000;

/** Names of folders kept sorted between passes, all folders together, at most (about 10 MB). */
const MAX_LISTED_NAMES = 250_000;

/** A folder with more names than this is listed again each time it is walked, not kept. */
const MAX_NAMES_PER_LISTING = 20_000;

/** One device folder of one day: what it holds, and what retention learnt of it. */
export interface Bucket {
  readonly day: string;
  bytes: number;
  images: number;
  /** Counted by the start-up scan (or created since): its totals can be trusted and pruned from. */
  scanned: boolean;
  /** Classes a walk found none of, from its first image to its last; forgotten when it changes. */
  readonly without: Set<RetentionClass>;
  /**
   * Per class, the name up to which a walk found none (all removed, or of other kinds that stay
   * so): the next walk begins after it. Forgotten when an image at or before it changes.
   */
  readonly resume: Map<RetentionClass, string>;
  /** Kinds of images read before, so that a walk over kept images reads no sidecar twice. */
  readonly kinds: Map<string, ImageKind>;
  /** Its image names, sorted, once a walk has listed it (and while there is room for them). */
  listing: SortedNames | undefined;
}

/**
 * Running totals of the store, per day and device folder: bytes on disk (images and sidecars
 * together, as allocated) and images. Memory grows with folders, never with images: a day of
 * fifty cameras is fifty buckets.
 */
export class StoreTotals {
  private readonly days = new Map<string, Map<string, Bucket>>();
  private readonly scannedDays = new Set<string>();
  /** Per day, the classes none of its folders holds (every one walked without finding one). */
  private readonly daysWithout = new Map<string, Set<RetentionClass>>();
  private totalBytes = 0;
  private totalImages = 0;
  private rememberedKinds = 0;
  /** Buckets with a listing, least recently walked first. */
  private readonly listed = new Map<Bucket, number>();
  private listedNames = 0;
  /** Set once the start-up scan is over: every day counts as scanned. */
  private scanComplete = false;

  get bytes(): number {
    return this.totalBytes;
  }

  get images(): number {
    return this.totalImages;
  }

  get scanned(): boolean {
    return this.scanComplete;
  }

  bucket(day: string, device: string): Bucket {
    let devices = this.days.get(day);
    if (!devices) this.days.set(day, (devices = new Map()));
    let bucket = devices.get(device);
    if (!bucket) {
      bucket = {
        day,
        bytes: 0,
        images: 0,
        scanned: false,
        without: new Set(),
        resume: new Map(),
        kinds: new Map(),
        listing: undefined,
      };
      devices.set(device, bucket);
    }
    return bucket;
  }

  /** Whether the bucket exists (without making it). */
  has(day: string, device: string): boolean {
    return this.days.get(day)?.has(device) ?? false;
  }

  add(day: string, device: string, bytes: number, stem?: string): void {
    const bucket = this.bucket(day, device);
    if (stem !== undefined && bucket.listing) {
      bucket.listing.insert(stem);
      this.resizeListing(bucket);
    }
    bucket.bytes += bytes;
    bucket.images++;
    this.changed(bucket, stem);
    this.totalBytes += bytes;
    this.totalImages++;
  }

  /** A sidecar grew or shrank by `bytes` (its analysis or review written). */
  resize(day: string, device: string, bytes: number, kind: ImageKind | undefined, stem: string): void {
    const bucket = this.days.get(day)?.get(device);
    if (!bucket) return;
    this.changed(bucket, stem);
    if (kind === undefined) this.forgetKind(bucket, stem);
    else this.rememberKind(bucket, stem, kind);
    if (!bucket.scanned) return;
    const applied = Math.max(-bucket.bytes, bytes);
    bucket.bytes += applied;
    this.totalBytes += applied;
  }

  remove(day: string, device: string, stem: string, bytes: number): void {
    const bucket = this.days.get(day)?.get(device);
    if (!bucket) return;
    const applied = Math.min(bucket.bytes, bytes);
    bucket.bytes -= applied;
    this.totalBytes -= applied;
    if (bucket.images > 0) {
      bucket.images--;
      this.totalImages--;
    }
    this.forgetKind(bucket, stem);
    if (bucket.listing) {
      bucket.listing.delete(stem);
      this.resizeListing(bucket);
    }
  }

  /** Drops an empty bucket (its folder was removed). */
  drop(day: string, device: string): void {
    const devices = this.days.get(day);
    const bucket = devices?.get(device);
    if (!devices || !bucket) return;
    this.totalBytes -= bucket.bytes;
    this.totalImages -= bucket.images;
    this.rememberedKinds -= bucket.kinds.size;
    this.forgetListing(bucket);
    devices.delete(device);
    if (devices.size === 0) {
      this.days.delete(day);
      this.daysWithout.delete(day);
    }
  }

  /** The scan counted every folder of `day`. */
  markDayScanned(day: string): void {
    this.scannedDays.add(day);
  }

  markScanComplete(): void {
    this.scanComplete = true;
    this.scannedDays.clear();
  }

  /** Whether retention may prune on `day`: the scan counted it (a day it never counts is not pruned before it ends). */
  isDayScanned(day: string): boolean {
    return this.scanComplete || this.scannedDays.has(day);
  }

  rememberKind(bucket: Bucket, stem: string, kind: ImageKind): void {
    if (bucket.kinds.has(stem)) {
      bucket.kinds.set(stem, kind);
    } else if (this.rememberedKinds < MAX_REMEMBERED_KINDS) {
      bucket.kinds.set(stem, kind);
      this.rememberedKinds++;
    }
  }

  /**
   * The bucket's names, sorted: kept from an earlier walk, or listed now and kept, the folders
   * walked least recently giving way; undefined for a folder too big to keep (walked in windows).
   */
  listingOf(bucket: Bucket, names: () => readonly string[]): SortedNames | undefined {
    if (bucket.listing) {
      this.listed.delete(bucket);
      this.listed.set(bucket, bucket.listing.size);
      return bucket.listing;
    }
    const listed = names();
    if (listed.length > MAX_NAMES_PER_LISTING) return undefined;
    const listing = SortedNames.of(listed);
    bucket.listing = listing;
    this.listed.set(bucket, listing.size);
    this.listedNames += listing.size;
    for (const [oldest] of this.listed) {
      if (this.listedNames <= MAX_LISTED_NAMES) break;
      this.forgetListing(oldest);
    }
    return listing;
  }

  /** Whether a walk found none of `retention` in any folder of `day` (and none changed since). */
  dayWithout(day: string, retention: RetentionClass): boolean {
    return this.daysWithout.get(day)?.has(retention) ?? false;
  }

  /** A walk went through every folder of `day` without finding one of `retention`. */
  markDayWithout(day: string, retention: RetentionClass): void {
    let without = this.daysWithout.get(day);
    if (!without) this.daysWithout.set(day, (without = new Set()));
    without.add(retention);
  }

  /** What walks learnt of a bucket no longer holds at and after `stem` (anywhere, without one). */
  private changed(bucket: Bucket, stem: string | undefined): void {
    bucket.without.clear();
    this.daysWithout.delete(bucket.day);
    for (const [retention, after] of bucket.resume) {
      if (stem === undefined || stem <= after) bucket.resume.delete(retention);
    }
  }

  private resizeListing(bucket: Bucket): void {
    const size = bucket.listing!.size;
    this.listedNames += size - (this.listed.get(bucket) ?? size);
    this.listed.set(bucket, size);
  }

  private forgetListing(bucket: Bucket): void {
    const size = this.listed.get(bucket);
    if (size === undefined) return;
    this.listed.delete(bucket);
    this.listedNames -= size;
    bucket.listing = undefined;
  }

  private forgetKind(bucket: Bucket, stem: string): void {
    if (bucket.kinds.delete(stem)) this.rememberedKinds--;
  }
}

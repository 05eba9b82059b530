import {
  acceptedAtOf,
  classOf,
  type ImageKind,
  type RetentionClass,
  type RetentionPolicy,
} from './retention-policy.js';
import type { ImageRef, RetentionStore } from './retention-store.js';
import { SortedNames } from './sorted-names.js';
import type { Bucket, StoreTotals } from './store-totals.js';

/** Names a walk of a folder too big to keep listed holds at once (refilled as it goes). */
const WINDOW = 4096;

/** The next image a walk offers, with when it was accepted. */
export interface Candidate {
  readonly ref: ImageRef;
  readonly acceptedAt: number;
}

/** What a walk passed over and why: images kept whatever happens, for the pass's report. */
export interface PassedOver {
  pending: number;
  reviewed: number;
}

interface DeviceWalk {
  readonly device: string;
  readonly bucket: Bucket;
  /** The folder's names: its kept listing, or a window of the next ones (`windowed`). */
  names: SortedNames | undefined;
  windowed: boolean;
  /** The last name looked at; the walk goes on after it. */
  last: string;
  /** The name after `last`. */
  next: string;
  /**
   * Whether this walk passed an image whose class may still change (waiting for analysis, or not
   * whole yet): what it learns of the folder is then not kept for the next.
   */
  unsettled: boolean;
}

/**
 * The images of one retention class, oldest first across every device: days in order, and within
 * a day by time of acceptance (file names begin with it), merging the device folders. Other images
 * are passed over, and what a walk learns is kept for the next (see `Bucket`): the kinds it read,
 * and how far into a folder nothing of its class is left. Only days the start-up scan has counted
 * are walked.
 */
export class OldestFirst {
  private readonly days: string[];
  private dayIndex = -1;
  /** The walks of the day's folders that have names left, earliest next name first (a binary heap). */
  private heap: DeviceWalk[] = [];
  private head: { walk: DeviceWalk; candidate: Candidate } | undefined;
  /** Acceptance time of the oldest image passed over that nothing removes (waiting, reviewed, kept at removal). */
  firstKeptAt: number | undefined;
  readonly passedOver: PassedOver = { pending: 0, reviewed: 0 };

  constructor(
    private readonly store: RetentionStore,
    private readonly totals: StoreTotals,
    private readonly wanted: Exclude<RetentionClass, 'protected'>,
    private readonly policy: RetentionPolicy,
    private readonly now: number,
  ) {
    this.days = store.days().filter((day) => totals.isDayScanned(day));
  }

  /**
   * The oldest image of the class not yet passed, if it was accepted at `notAfter` or before;
   * undefined when there is none (the walk then stops at the first image after `notAfter`, and
   * goes on from there if asked again with a later bound).
   */
  peek(notAfter = Infinity): Candidate | undefined {
    while (!this.head) {
      if (this.heap.length === 0 && !this.nextDay(notAfter)) return undefined;
      if (!this.findHead(notAfter)) return undefined;
    }
    return this.head.candidate.acceptedAt <= notAfter ? this.head.candidate : undefined;
  }

  /** Moves past the current image: removed, or kept after all. */
  pass(kept: boolean): void {
    const head = this.head;
    if (!head) return;
    if (kept) this.keep(head.candidate.acceptedAt);
    this.head = undefined;
    this.advance();
  }

  /** Kinds of images are asked here first; what the store says is remembered. */
  private kindOf(walk: DeviceWalk, ref: ImageRef): ImageKind | undefined {
    const known = walk.bucket.kinds.get(ref.stem);
    if (known !== undefined) return known;
    const kind = this.store.inspect(ref);
    // An unanalysed image changes kind soon: read it again next time.
    if (kind !== undefined && kind !== 'unanalysed') this.totals.rememberKind(walk.bucket, ref.stem, kind);
    return kind;
  }

  private keep(acceptedAt: number): void {
    if (this.firstKeptAt === undefined || acceptedAt < this.firstKeptAt) this.firstKeptAt = acceptedAt;
  }

  /**
   * Looks at the earliest name of the day, and leaves `head` set when it is wanted. False when
   * that name was accepted after `notAfter` (left for a later call).
   */
  private findHead(notAfter: number): boolean {
    const walk = this.heap[0]!;
    const day = this.days[this.dayIndex]!;
    const stem = walk.next;
    const acceptedAt = acceptedAtOf(day, stem);
    if (acceptedAt > notAfter) return false;
    const ref = { day, device: walk.device, stem };
    const kind = this.kindOf(walk, ref);
    const retention = kind && classOf(kind, day, this.now, this.policy);
    if (retention === this.wanted) {
      this.head = { walk, candidate: { ref, acceptedAt } };
      return true;
    }
    if (retention === undefined || kind === 'unanalysed') walk.unsettled = true;
    if (retention === 'protected') {
      if (kind === 'reviewed') this.passedOver.reviewed++;
      else this.passedOver.pending++;
      this.keep(acceptedAt);
    }
    this.advance();
    return true;
  }

  /** Moves the earliest walk past its name, and puts it back in its place (or out, when done). */
  private advance(): void {
    const walk = this.heap[0]!;
    walk.last = walk.next;
    if (!walk.unsettled) walk.bucket.resume.set(this.wanted, walk.last);
    if (this.findNext(walk)) this.siftDown(0);
    else {
      const last = this.heap.pop()!;
      if (this.heap.length > 0) {
        this.heap[0] = last;
        this.siftDown(0);
      }
    }
  }

  /** Finds the name after the walk's last; false when the folder has no more. */
  private findNext(walk: DeviceWalk): boolean {
    const day = this.days[this.dayIndex]!;
    if (!walk.names) {
      walk.names = this.totals.listingOf(walk.bucket, () => this.store.stems(day, walk.device));
      walk.windowed = walk.names === undefined;
    }
    let next = walk.names?.next(walk.last);
    if (next === undefined && walk.windowed) {
      const after = walk.last;
      const ahead = this.store
        .stems(day, walk.device)
        .filter((stem) => stem > after)
        .sort();
      walk.names = SortedNames.of(ahead.slice(0, WINDOW));
      next = walk.names.next(after);
    }
    if (next !== undefined) {
      walk.next = next;
      return true;
    }
    // Walked from the first image to the last without finding one: skip it until it changes.
    if (!walk.unsettled) walk.bucket.without.add(this.wanted);
    return false;
  }

  /** Opens the next day that may hold the class, unless it begins after `notAfter`. */
  private nextDay(notAfter: number): boolean {
    while (this.dayIndex + 1 < this.days.length) {
      if (Date.parse(this.days[this.dayIndex + 1]!) > notAfter) return false;
      const day = this.days[++this.dayIndex]!;
      if (this.totals.dayWithout(day, this.wanted)) continue;
      this.heap = [];
      let unsettled = false;
      for (const device of this.store.devices(day)) {
        const bucket = this.totals.bucket(day, device);
        if (bucket.without.has(this.wanted)) continue;
        const walk: DeviceWalk = {
          device,
          bucket,
          names: undefined,
          windowed: false,
          last: bucket.resume.get(this.wanted) ?? '',
          next: '',
          unsettled: false,
        };
        if (this.findNext(walk)) this.heap.push(walk);
        else unsettled ||= walk.unsettled;
      }
      for (let index = (this.heap.length >> 1) - 1; index >= 0; index--) this.siftDown(index);
      if (this.heap.length > 0) return true;
      if (!unsettled) this.totals.markDayWithout(day, this.wanted);
    }
    return false;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const walk = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.next < heap[left]!.next ? right : left;
      if (heap[child]!.next >= walk.next) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = walk;
  }
}

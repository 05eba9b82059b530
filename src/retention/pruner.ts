import { OldestFirst, type Candidate } from './oldest-first.js';
import {
  classOf,
  DAY_MS,
  keptLongerPace,
  type PruneReason,
  type RetentionPolicy,
} from './retention-policy.js';
import type { ImageRef, RetentionStore } from './retention-store.js';
import { roomNeeded, roomStillWanted, type RoomNeed, type RoomTargets } from './room-targets.js';
import type { StoreTotals } from './store-totals.js';

/** What one pruning pass did: the log line, and the pruned counters. */
export interface PassReport {
  readonly pruned: Record<PruneReason, number>;
  readonly bytes: number;
  /** Acceptance time of the oldest image left (undefined: none left, or none walked). */
  readonly oldestKeptAt: number | undefined;
  /** Room still wanted when nothing more could go (everything left waits for analysis, or was reviewed). */
  readonly unmet: RoomNeed;
  /** Images passed over that nothing removes: waiting for analysis, or reviewed. */
  readonly pending: number;
  readonly reviewed: number;
  readonly storedBytes: number;
  readonly storedImages: number;
  readonly freeBytes: number | undefined;
}

/** Told of every image a pass removes, as it goes. */
export type RemovedListener = (ref: ImageRef, reason: PruneReason, bytes: number) => void;

/**
 * Decides what goes, and removes it through the store, one pass at a time: first what is past its
 * age limit, then, while room is wanted (the size cap, free space), the image that has aged most
 * for its class (`keptLongerPace`), image and sidecar together. It never removes an image waiting
 * for analysis or reviewed by a person: the store checks the sidecar again as it removes.
 */
export class Pruner {
  constructor(
    private readonly store: RetentionStore,
    private readonly totals: StoreTotals,
    private readonly policy: RetentionPolicy,
    private readonly onRemoved: RemovedListener = () => undefined,
  ) {}

  /** Whether room is wanted now (a pass should start), and why. */
  roomNeeded(targets: RoomTargets): RoomNeed {
    return roomNeeded(this.totals.bytes, this.store.freeBytes(), targets);
  }

  /** A pass at `now`, run by `step` (in slices, so that its thread can do other work in between). */
  startPass(now: number, targets: RoomTargets): PrunePass {
    return new PrunePass(this.store, this.totals, this.policy, targets, now, this.onRemoved);
  }
}

/** One pass of the pruner, at one instant: its two walks, what it removed, and where it is. */
export class PrunePass {
  private readonly normal: OldestFirst;
  private readonly keptLonger: OldestFirst;
  private readonly pace: number;
  private readonly pruned: Record<PruneReason, number> = { age: 0, size: 0, disk: 0 };
  private bytes = 0;
  private phase: 'age-normal' | 'age-kept-longer' | 'room' | 'done' = 'age-normal';
  private unmetNeed: RoomNeed;
  /** Free space at the start, plus what the pass freed: a file system may report freed blocks late. */
  private readonly freeAtStart: number | undefined;

  constructor(
    private readonly store: RetentionStore,
    private readonly totals: StoreTotals,
    private readonly policy: RetentionPolicy,
    private readonly targets: RoomTargets,
    private readonly now: number,
    private readonly onRemoved: RemovedListener,
  ) {
    this.normal = new OldestFirst(store, totals, 'normal', policy, now);
    this.keptLonger = new OldestFirst(store, totals, 'kept-longer', policy, now);
    this.pace = keptLongerPace(policy);
    this.freeAtStart = store.freeBytes();
  }

  /** Images removed so far. */
  get removed(): number {
    return this.pruned.age + this.pruned.size + this.pruned.disk;
  }

  /** Whether the pass ended still wanting room (see `PassReport.unmet`). */
  get unmet(): RoomNeed {
    return this.unmetNeed;
  }

  /** Removes up to `budget` images (or looks at as many); true once the pass is over. */
  step(budget: number): boolean {
    for (let spent = 0; spent < budget && this.phase !== 'done'; spent++) {
      switch (this.phase) {
        case 'age-normal':
          if (!this.pruneIfTooOld(this.normal, this.policy.maxAgeMs)) this.phase = 'age-kept-longer';
          break;
        case 'age-kept-longer':
          if (!this.pruneIfTooOld(this.keptLonger, this.policy.keptLongerMaxAgeMs)) this.phase = 'room';
          break;
        case 'room':
          if (!this.makeRoom()) this.phase = 'done';
          break;
      }
    }
    return this.phase === 'done';
  }

  /** The pass's figures, for its log line; once it is done (it walks on to find the oldest image left). */
  report(): PassReport {
    // The oldest left: of its class, each walk's next; images kept longer only when older than that.
    const normal = this.normal.peek();
    const keptLonger = this.keptLonger.peek(normal?.acceptedAt ?? Infinity);
    const oldest = [
      this.normal.firstKeptAt,
      this.keptLonger.firstKeptAt,
      normal?.acceptedAt,
      keptLonger?.acceptedAt,
    ].filter((at): at is number => at !== undefined);
    return {
      pruned: { ...this.pruned },
      bytes: this.bytes,
      oldestKeptAt: oldest.length > 0 ? Math.min(...oldest) : undefined,
      unmet: this.unmetNeed,
      pending: this.normal.passedOver.pending,
      reviewed: Math.max(this.normal.passedOver.reviewed, this.keptLonger.passedOver.reviewed),
      storedBytes: this.totals.bytes,
      storedImages: this.totals.images,
      freeBytes: this.freeBytes(),
    };
  }

  /** Removes the walk's next image if past `limitMs`; false when it is not (or there is none). */
  private pruneIfTooOld(walk: OldestFirst, limitMs: number): boolean {
    if (limitMs === Infinity) return false;
    const next = walk.peek(this.now - limitMs - 1);
    if (!next) return false;
    this.prune(walk, next, 'age');
    return true;
  }

  /** Removes one image if room is still wanted; false when it is not, or nothing can go. */
  private makeRoom(): boolean {
    const need = roomStillWanted(this.totals.bytes, this.freeBytes(), this.targets);
    if (!need) return false;
    const normal = this.normal.peek();
    // An image kept longer goes first only if it has aged more for its class: older than this.
    const outranks =
      normal === undefined
        ? Infinity
        : this.pace === 0
          ? -Infinity
          : this.now - (this.now - normal.acceptedAt) / this.pace - 1;
    const keptLonger = outranks === -Infinity ? undefined : this.keptLonger.peek(outranks);
    if (keptLonger) this.prune(this.keptLonger, keptLonger, need);
    else if (normal) this.prune(this.normal, normal, need);
    else {
      this.unmetNeed = need;
      return false;
    }
    return true;
  }

  private prune(walk: OldestFirst, candidate: Candidate, reason: PruneReason): void {
    const { ref } = candidate;
    const retention = walk === this.normal ? 'normal' : 'kept-longer';
    // As the sidecar is now: a review or a class of its own since the walk read it keeps the image.
    const freed = this.store.remove(
      ref,
      (kind) => classOf(kind, ref.day, this.now, this.policy) !== retention,
    );
    if (freed === undefined) {
      walk.pass(true);
      return;
    }
    walk.pass(false);
    this.pruned[reason]++;
    this.bytes += freed;
    this.totals.remove(ref.day, ref.device, ref.stem, freed);
    this.onRemoved(ref, reason, freed);
    const bucket = this.totals.bucket(ref.day, ref.device);
    if (bucket.images === 0 && this.isPastDay(ref.day)) {
      this.store.removeFolderIfEmpty(ref.day, ref.device);
      this.totals.drop(ref.day, ref.device);
    }
  }

  /**
   * Folders of today and yesterday stay, even empty: an upload accepted before midnight is still
   * stored into yesterday's, and one being stored must not lose its folder.
   */
  private isPastDay(day: string): boolean {
    return day < new Date(this.now - DAY_MS).toISOString().slice(0, 10);
  }

  private freeBytes(): number | undefined {
    return this.freeAtStart === undefined ? undefined : this.freeAtStart + this.bytes;
  }
}

import { readFile } from 'node:fs/promises';
import type { Clock } from '../common/clock.js';
import type { ImageRecord } from '../storage/image-record.js';
import type { ImageStore } from '../storage/image-store.js';
import type { ImageToAnalyse } from './analysis-protocol.js';

const DAY_MS = 86_400_000;

/** What the scan needs of the classifier it feeds. */
export interface BacklogSink {
  /** Whether the image is queued or being classified already. */
  has(sidecarPath: string): boolean;
  /** Whether the backlog lane takes another image now. */
  hasRoom(): boolean;
  /** Queues an image in the backlog lane; false when it could not. */
  take(image: ImageToAnalyse): boolean;
}

/** The sidecar of `path`; undefined when it cannot be read (gone, half-written by a crash long ago). */
export async function readRecord(sidecarPath: string): Promise<ImageRecord | undefined> {
  try {
    return JSON.parse(await readFile(sidecarPath, 'utf8')) as ImageRecord;
  } catch {
    return undefined;
  }
}

/**
 * Finds the stored images of the last `days` days that have no analysis (left by a stop, a
 * crash, or a queue that was full) and feeds them, oldest first, into the backlog lane as it has
 * room, behind whatever fresh images come. The walk reads every sidecar once and keeps the paths
 * of the unanalysed ones, so their number is known as soon as it is done (`waiting`).
 */
export class BacklogScan {
  /** Unanalysed images found and not yet queued, oldest first. */
  private readonly found: string[] = [];
  private readonly foundSet = new Set<string>();
  private walking: Promise<void> | undefined;
  private walkAgain = false;
  private feeding: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly days: number,
    private readonly store: ImageStore,
    private readonly clock: Clock,
    private readonly sink: BacklogSink,
    /** Told as a walk goes: the number found so far by this walk, and whether it is done. */
    private readonly onProgress: (found: number, done: boolean) => void,
  ) {}

  /** Images found and waiting for room in the lane. */
  get waiting(): number {
    return this.found.length;
  }

  /** Walks the store now, or again once the walk in progress ends; resolves when the walks end. */
  request(): Promise<void> {
    if (this.days === 0 || this.stopped) return Promise.resolve();
    if (this.walking) {
      this.walkAgain = true;
      return this.walking;
    }
    this.walking = this.walk().finally(() => (this.walking = undefined));
    return this.walking;
  }

  /**
   * Moves found images into the lane while it has room (call whenever it may have some); resolves
   * once the lane is full or nothing is left to move.
   */
  feed(): Promise<void> {
    this.feeding ??= this.fill().finally(() => {
      this.feeding = undefined;
      // Found while the last of the feeding ended: feed again rather than leave it waiting.
      if (!this.stopped && this.found.length > 0 && this.sink.hasRoom()) void this.feed();
    });
    return this.feeding;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.walking;
  }

  private async walk(): Promise<void> {
    do {
      this.walkAgain = false;
      const oldestDay = new Date(this.clock.now() - (this.days - 1) * DAY_MS).toISOString().slice(0, 10);
      let found = 0;
      for await (const sidecarPath of this.store.sidecars(oldestDay)) {
        if (this.stopped) return;
        if (this.foundSet.has(sidecarPath) || this.sink.has(sidecarPath)) continue;
        const record = await readRecord(sidecarPath);
        if (!record || record.analysis !== undefined) continue;
        this.found.push(sidecarPath);
        this.foundSet.add(sidecarPath);
        found++;
        void this.feed();
        this.onProgress(found, false);
      }
      if (found > 0) this.onProgress(found, true);
    } while (this.walkAgain && !this.stopped);
  }

  private async fill(): Promise<void> {
    while (!this.stopped && this.found.length > 0 && this.sink.hasRoom()) {
      const sidecarPath = this.found.shift()!;
      this.foundSet.delete(sidecarPath);
      if (this.sink.has(sidecarPath)) continue;
      // Read again: it may have been analysed (a fresh image handed over meanwhile) since the walk.
      const record = await readRecord(sidecarPath);
      if (this.stopped) return;
      if (!record || record.analysis !== undefined || this.sink.has(sidecarPath)) continue;
      if (!this.sink.take({ sidecarPath, record, queuedAt: this.clock.now() })) {
        this.found.unshift(sidecarPath);
        this.foundSet.add(sidecarPath);
        return;
      }
    }
  }
}

import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Segments still needed beyond which the transfers holding the oldest are written again at the head. */
export const MAX_LIVE_SEGMENTS = 4;

/** Free segments kept for reuse (their blocks already allocated); older ones are deleted. */
export const MAX_FREE_SEGMENTS = 2;

/** One segment file and its current use. */
export interface Segment {
  readonly name: string;
  readonly file: number;
  epoch: number;
  /** Bytes of records of the current epoch. */
  length: number;
  /** Transfers with records here that have not ended. */
  readonly holders: Set<string>;
}

/**
 * The segment files of a spool and their lives: live (still needed, oldest first, the last one
 * written to), free (reusable: their blocks already allocated, so overwriting them costs the
 * filesystem nothing), retired (a previous process's, kept until what was recovered from them is
 * written again). Every new use of a segment gets a higher epoch, so that what an earlier use left
 * behind never reads as current. Segments are freed oldest first: a transfer's end is never
 * overwritten before its start.
 */
export class SegmentFiles {
  /** Segments still needed, oldest first; the last is written to. */
  readonly live: Segment[] = [];
  /** Segments free for reuse, oldest first. */
  private readonly free: Segment[] = [];
  private retired: Segment[] = [];
  /** Retired segments found damaged: emptied once what preceded the damage is written again. */
  private damaged: Segment[] = [];
  private nextNumber = 0;
  epoch = 0;
  private readonly deletions = new Set<Promise<void>>();

  constructor(private readonly directory: string) {}

  /** The segment written to. */
  get current(): Segment {
    const segment = this.live.at(-1);
    if (!segment) throw new Error('the spool was not recovered before use');
    return segment;
  }

  /** Opens a segment a previous process wrote, as retired (`damaged`: a record in it did not read). */
  retire(name: string, number: number, epoch: number, damaged: boolean): Segment {
    this.nextNumber = Math.max(this.nextNumber, number + 1);
    this.epoch = Math.max(this.epoch, epoch);
    const segment = this.open(name, 'r+');
    segment.epoch = epoch;
    this.retired.push(segment);
    if (damaged) this.damaged.push(segment);
    return segment;
  }

  /** Writing moves to a free segment, or a new one. */
  advance(): Segment {
    const segment =
      this.free.shift() ?? this.open(`segment-${String(this.nextNumber++).padStart(6, '0')}.log`, 'w+');
    segment.epoch = ++this.epoch;
    segment.length = 0;
    segment.holders.clear();
    this.live.push(segment);
    return segment;
  }

  /** What was recovered is written again: the retired segments become free, the damaged ones emptied. */
  reuseRetired(): void {
    for (const segment of this.damaged) {
      try {
        ftruncateSync(segment.file, 0);
      } catch {
        // Still damaged: copied to quarantine again at the next start, read up to the damage.
      }
    }
    this.damaged = [];
    this.free.push(...this.retired);
    this.retired = [];
    this.trim();
  }

  /** Frees the oldest segments once nothing in flight has records there (never the current one). */
  releaseOld(): void {
    while (this.live.length > 1 && this.live[0]!.holders.size === 0) this.free.push(this.live.shift()!);
  }

  /**
   * Deletes the oldest free segments beyond those kept for reuse. Only once the batch is written:
   * the ends of the transfers they held may be in it.
   */
  trim(): void {
    while (this.free.length > MAX_FREE_SEGMENTS) {
      const segment = this.free.shift()!;
      closeQuietly(segment.file);
      const deletion: Promise<void> = rm(join(this.directory, segment.name), { force: true })
        .catch(() => undefined)
        .finally(() => this.deletions.delete(deletion));
      this.deletions.add(deletion);
    }
  }

  /** Closes every file (the transfers in flight stay on disk). */
  closeAll(): void {
    for (const segment of [...this.live, ...this.free, ...this.retired]) closeQuietly(segment.file);
    this.live.length = 0;
    this.free.length = 0;
    this.retired = [];
  }

  /** Resolves once the files let go of are deleted. */
  async deletionsDone(): Promise<void> {
    await Promise.all(this.deletions);
  }

  private open(name: string, flags: 'r+' | 'w+'): Segment {
    return {
      name,
      file: openSync(join(this.directory, name), flags),
      epoch: 0,
      length: 0,
      holders: new Set(),
    };
  }
}

function closeQuietly(file: number): void {
  try {
    closeSync(file);
  } catch {
    // Already closed: nothing to release.
  }
}

import { statSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { TEMPORARY_SUFFIX } from '../storage/durable-file.js';
import type { ImageRecord } from '../storage/image-record.js';
import { allocatedBytes, stemOf, type DiskStore } from './disk-store.js';
import { imageIdOf, type ImageRef } from './retention-store.js';
import type { StoreTotals } from './store-totals.js';

/** An image the start-up scan found: id, bytes on disk, and its record when asked for. */
export interface FoundImage {
  readonly imageId: string;
  readonly bytes: number;
  readonly record?: ImageRecord;
}

/** Half an image left by a crash: a JPEG without its sidecar, or a sidecar without its JPEG. */
export interface Orphan {
  readonly imageId: string;
  readonly part: 'image' | 'sidecar';
}

/** What one step of the scan (one device folder) found. */
export interface ScanStep {
  readonly day: string;
  readonly found: FoundImage[];
  readonly orphans: Orphan[];
  readonly temporaryRemoved: number;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The start-up scan: every device folder of every day, oldest day first, one folder a step. It
 * counts each whole image into the totals, reports halves left by a crash, and removes temporary
 * files a crash left (changed before `startedAt`, when this process started). Images changed
 * since `countedBefore` (when the scan began) are not its business: the store's events count them. A day is open to pruning once scanned, so retention works on the
 * oldest days while the scan goes on.
 */
export class StoreScan {
  private readonly days: string[];
  private dayIndex = 0;
  private devices: string[] | undefined;
  private deviceIndex = 0;
  images = 0;
  bytes = 0;
  orphans = 0;
  temporaryRemoved = 0;

  constructor(
    private readonly store: DiskStore,
    private readonly totals: StoreTotals,
    private readonly startedAt: number,
    private readonly countedBefore: number,
    /** Records are read (for `FoundImage.record`) for days from this one on; undefined: none. */
    private readonly recordsFromDay: string | undefined,
  ) {
    this.days = store.days();
  }

  get dayCount(): number {
    return this.days.length;
  }

  get daysScanned(): number {
    return this.dayIndex;
  }

  /** Scans the next device folder; undefined once every day is done (the totals are then complete). */
  step(): ScanStep | undefined {
    while (this.dayIndex < this.days.length) {
      const day = this.days[this.dayIndex]!;
      this.devices ??= this.store.devices(day).sort();
      const step =
        this.deviceIndex < this.devices.length
          ? this.scanFolder(day, this.devices[this.deviceIndex++]!)
          : undefined;
      if (this.deviceIndex >= this.devices.length) {
        this.totals.markDayScanned(day);
        this.dayIndex++;
        this.devices = undefined;
        this.deviceIndex = 0;
      }
      if (step) return step;
    }
    this.totals.markScanComplete();
    return undefined;
  }

  private scanFolder(day: string, device: string): ScanStep {
    const folder = join(this.store.root, day, device);
    const parts = new Map<string, { image: boolean; sidecar: boolean }>();
    let temporaryRemoved = 0;
    for (const name of this.store.names(day, device)) {
      if (name.startsWith('.') && name.endsWith(TEMPORARY_SUFFIX)) {
        const path = join(folder, name);
        if ((statOrUndefined(path)?.mtimeMs ?? Infinity) < this.startedAt) {
          try {
            unlinkSync(path);
            temporaryRemoved++;
          } catch {
            // Gone meanwhile.
          }
        }
        continue;
      }
      const found = stemOf(name);
      if (!found) continue;
      const entry = parts.get(found.stem) ?? { image: false, sidecar: false };
      entry[found.part] = true;
      parts.set(found.stem, entry);
    }
    const found: FoundImage[] = [];
    const orphans: Orphan[] = [];
    const withRecords = this.recordsFromDay !== undefined && day >= this.recordsFromDay;
    for (const [stem, { image, sidecar }] of [...parts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const ref: ImageRef = { day, device, stem };
      const imageStats = image ? statOrUndefined(this.store.pathOf(ref, 'image')) : undefined;
      const sidecarStats = sidecar ? statOrUndefined(this.store.pathOf(ref, 'sidecar')) : undefined;
      const changedAt = Math.max(imageStats?.mtimeMs ?? -Infinity, sidecarStats?.mtimeMs ?? -Infinity);
      if (imageStats && sidecarStats) {
        // Written since the scan began (or rewritten, by the spool): its `stored` event counts it.
        if (imageStats.mtimeMs >= this.countedBefore) continue;
        const bytes = allocatedBytes(imageStats) + allocatedBytes(sidecarStats);
        this.totals.add(day, device, bytes);
        this.images++;
        this.bytes += bytes;
        const record = withRecords ? this.store.readRecord(ref) : undefined;
        found.push(record ? { imageId: imageIdOf(ref), bytes, record } : { imageId: imageIdOf(ref), bytes });
      } else if ((imageStats || sidecarStats) && changedAt < this.startedAt) {
        orphans.push({ imageId: imageIdOf(ref), part: imageStats ? 'image' : 'sidecar' });
      }
    }
    this.totals.bucket(day, device).scanned = true;
    this.orphans += orphans.length;
    this.temporaryRemoved += temporaryRemoved;
    return { day, found, orphans, temporaryRemoved };
  }
}

import { randomBytes } from 'node:crypto';
import {
  linkSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statfsSync,
  statSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { TEMPORARY_SUFFIX } from '../storage/durable-file.js';
import type { ImageRecord } from '../storage/image-record.js';
import { DAY_FOLDER, DEVICE_FOLDER, IMAGE_STEM } from '../storage/image-store.js';
import { kindOf, type ImageKind } from './retention-policy.js';
import type { ImageRef, RetentionStore } from './retention-store.js';

/** Bytes a file takes on disk: its allocated blocks, what `du` counts and what fills the disk. */
export function allocatedBytes(stats: Stats): number {
  return stats.blocks * 512;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function namesIn(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** The stem of an image file name (`<stem>.jpg` or `<stem>.json`), undefined for any other name. */
export function stemOf(name: string): { stem: string; part: 'image' | 'sidecar' } | undefined {
  const part = name.endsWith('.jpg') ? 'image' : name.endsWith('.json') ? 'sidecar' : undefined;
  if (!part) return undefined;
  const stem = name.slice(0, part === 'image' ? -4 : -5);
  return IMAGE_STEM.test(stem) ? { stem, part } : undefined;
}

/**
 * The store on disk, with blocking calls: for the retention thread only (see retention.worker.ts),
 * where they block no event loop and take no thread of libuv's pool from the image writes.
 */
export class DiskStore implements RetentionStore {
  constructor(readonly root: string) {}

  days(): string[] {
    return namesIn(this.root)
      .filter((name) => DAY_FOLDER.test(name))
      .sort();
  }

  devices(day: string): string[] {
    return namesIn(join(this.root, day)).filter((name) => DEVICE_FOLDER.test(name));
  }

  /** The file names of a device folder, as they are (the scan looks at every one). */
  names(day: string, device: string): string[] {
    return namesIn(join(this.root, day, device));
  }

  stems(day: string, device: string): string[] {
    const stems = new Set<string>();
    for (const name of this.names(day, device)) {
      const found = stemOf(name);
      if (found) stems.add(found.stem);
    }
    return [...stems];
  }

  pathOf(ref: ImageRef, part: 'image' | 'sidecar'): string {
    return join(this.root, ref.day, ref.device, `${ref.stem}.${part === 'image' ? 'jpg' : 'json'}`);
  }

  /** The sidecar's record, undefined when it is missing or unreadable. */
  readRecord(ref: ImageRef): ImageRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.pathOf(ref, 'sidecar'), 'utf8')) as ImageRecord;
    } catch {
      return undefined;
    }
  }

  inspect(ref: ImageRef): ImageKind | undefined {
    if (!statOrUndefined(this.pathOf(ref, 'image'))) return undefined;
    const record = this.readRecord(ref);
    return record && kindOf(record);
  }

  /** Bytes an image and its sidecar take, undefined unless both are there. */
  bytesOf(ref: ImageRef): number | undefined {
    const image = statOrUndefined(this.pathOf(ref, 'image'));
    const sidecar = image && statOrUndefined(this.pathOf(ref, 'sidecar'));
    return image && sidecar ? allocatedBytes(image) + allocatedBytes(sidecar) : undefined;
  }

  /**
   * Takes the JPEG away first (renamed to a temporary name), then reads the sidecar: a review
   * written before the JPEG left is seen here and the JPEG is put back; one written after finds
   * the JPEG gone, and its writer is told so (`ImageStore.updateRecord`). Then the sidecar goes.
   * A crash between the two removals leaves a sidecar without its JPEG, which the next start
   * removes; the renamed JPEG, a temporary file, is removed too.
   */
  remove(ref: ImageRef, keep: (kind: ImageKind) => boolean): number | undefined {
    const image = this.pathOf(ref, 'image');
    const sidecar = this.pathOf(ref, 'sidecar');
    const aside = join(
      this.root,
      ref.day,
      ref.device,
      `.${ref.stem}.jpg.${randomBytes(4).toString('hex')}.pruned${TEMPORARY_SUFFIX}`,
    );
    try {
      renameSync(image, aside);
    } catch {
      return undefined;
    }
    const record = this.readRecord(ref);
    if (record && keep(kindOf(record))) {
      try {
        // Never over a JPEG written there meanwhile.
        linkSync(aside, image);
      } catch {
        // Something is there already: it stays.
      }
      unlinkQuietly(aside);
      return undefined;
    }
    const imageStats = statOrUndefined(aside);
    const sidecarStats = statOrUndefined(sidecar);
    unlinkQuietly(sidecar);
    unlinkQuietly(aside);
    return (imageStats ? allocatedBytes(imageStats) : 0) + (sidecarStats ? allocatedBytes(sidecarStats) : 0);
  }

  removeFolderIfEmpty(day: string, device: string): void {
    try {
      rmdirSync(join(this.root, day, device));
      rmdirSync(join(this.root, day));
    } catch {
      // Not empty (or gone): it stays.
    }
  }

  freeBytes(): number | undefined {
    try {
      const stats = statfsSync(this.root);
      return Number(stats.bavail) * Number(stats.bsize);
    } catch {
      return undefined;
    }
  }

  /** Block size of the file system (4096 when it cannot be read): files take whole blocks. */
  blockBytes(): number {
    try {
      return Number(statfsSync(this.root).bsize) || 4096;
    } catch {
      return 4096;
    }
  }

  /** Size of the file system, undefined when it cannot be read. */
  fileSystemBytes(): number | undefined {
    try {
      const stats = statfsSync(this.root);
      return Number(stats.blocks) * Number(stats.bsize);
    } catch {
      return undefined;
    }
  }
}

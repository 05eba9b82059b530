import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readdirSync,
  readSync,
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
import { DAY_FOLDER, DEVICE_FOLDER, IMAGE_STEM } from '../storage/store-layout.js';
import { kindOf, type ImageKind } from './retention-policy.js';
import type { ImageRef, RetentionStore } from './retention-store.js';

/** Bytes a file takes on disk: its allocated blocks, what `du` counts and what fills the disk. */
export function allocatedBytes(stats: Stats): number {
  return stats.blocks * 512;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
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

/** Sidecars whose version (inode, change time, size) was last read, remembered at most. */
const REMEMBERED_VERSIONS = 256;

/** What tells one content of a sidecar from another: each rewrite is a new file (a rename over it). */
function versionOf(stats: Stats): string {
  return `${stats.ino}:${stats.mtimeMs}:${stats.size}`;
}

/** A whole file's content and its stats, with the stats read from the open file. */
function readWithStats(path: string): { text: string; stats: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    const buffer = Buffer.allocUnsafe(stats.size);
    let read = 0;
    while (read < buffer.length) {
      const got = readSync(fd, buffer, read, buffer.length - read, read);
      if (got === 0) break;
      read += got;
    }
    return { text: buffer.toString('utf8', 0, read), stats };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
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
  /** Versions of the sidecars read last, by path: a removal right after needs no second read. */
  private readonly versions = new Map<string, string>();
  /** Numbers the temporary names of JPEGs being removed. */
  private removals = 0;

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
    return this.readSidecar(this.pathOf(ref, 'sidecar'))?.record;
  }

  /**
   * The kind its sidecar gives an image (undefined without a readable sidecar: being written, or
   * a leftover). A sidecar without its JPEG has a kind too; removing it then finds nothing to do.
   */
  inspect(ref: ImageRef): ImageKind | undefined {
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
      `.${ref.stem}.jpg.${process.pid}-${this.removals++}.pruned${TEMPORARY_SUFFIX}`,
    );
    try {
      renameSync(image, aside);
    } catch {
      return undefined;
    }
    // The sidecar as `inspect` read it, unless it was rewritten since: then read again.
    const current = statOrUndefined(sidecar);
    const unchanged = current !== undefined && this.versions.get(sidecar) === versionOf(current);
    const record = unchanged || !current ? undefined : this.readSidecar(sidecar)?.record;
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
    unlinkQuietly(sidecar);
    unlinkQuietly(aside);
    this.versions.delete(sidecar);
    return (imageStats ? allocatedBytes(imageStats) : 0) + (current ? allocatedBytes(current) : 0);
  }

  /** Reads and parses a sidecar, and remembers which version it read. */
  private readSidecar(path: string): { record: ImageRecord } | undefined {
    const read = readWithStats(path);
    if (!read) return undefined;
    let record: ImageRecord;
    try {
      record = JSON.parse(read.text) as ImageRecord;
    } catch {
      return undefined;
    }
    this.versions.delete(path);
    this.versions.set(path, versionOf(read.stats));
    if (this.versions.size > REMEMBERED_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
    return { record };
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

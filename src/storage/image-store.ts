import { webcrypto } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Clock } from '../common/clock.js';
import { ensureDirectory, syncDirectory, TEMPORARY_SUFFIX, writeFileAtomically } from './durable-file.js';
import type { ImageArrival, ImageRecord, StoredImage } from './image-record.js';
import { ImageTurns } from './image-turns.js';
import { StoreEvents } from './store-events.js';
import { DAY_FOLDER, imageNameOf, isImageId, sidecarRecordOf } from './store-layout.js';

/** How often `recheck` may touch the disk. */
const RECHECK_INTERVAL_MS = 1000;

/** A sidecar was to be rewritten, but its image is gone: retention removed it meanwhile. */
export class ImageGoneError extends Error {
  override readonly name = 'ImageGoneError';
}

/** What `removeOrphan` removed: a JPEG without its sidecar, or a sidecar without its JPEG. */
export type OrphanKind = 'image' | 'sidecar';

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** The names in a folder; none when it is not one (or is gone). */
async function readdirOrEmpty(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch {
    return [];
  }
}

/**
 * Durable storage of received images: `<root>/<yyyy-mm-dd>/<device>/<hhmmssmmm>-<id>.jpg` and a
 * JSON sidecar beside it. `save` resolves only once both files and their directory entries are on
 * disk (fsync), so a caller that acknowledges after it never acknowledges a lost image. Every
 * operation is asynchronous file I/O: the event loop never waits on the disk.
 *
 * The writes of one image (storing it, rewriting its sidecar, removing a crash leftover of it)
 * take turns, so that none of them sees the files of another half done. Each change is announced
 * on `events` once it is on disk.
 */
export class ImageStore {
  readonly root: string;
  private lastFailure: Error | undefined;
  private lastRecheckAt = -Infinity;
  private readonly turns = new ImageTurns();

  constructor(
    root: string,
    private readonly clock: Clock,
    readonly events: StoreEvents = new StoreEvents(),
  ) {
    this.root = resolve(root);
  }

  /** The error of the last write when it failed; undefined once a write succeeds again. */
  get failure(): Error | undefined {
    return this.lastFailure;
  }

  async save(image: Buffer, arrival: ImageArrival): Promise<StoredImage> {
    try {
      const stored = await this.write(image, arrival);
      this.lastFailure = undefined;
      this.events.emit('stored', stored);
      return stored;
    } catch (error) {
      this.lastFailure = error instanceof Error ? error : new Error(String(error));
      throw this.lastFailure;
    }
  }

  /**
   * After a failed write, checks (at most once a second) whether the disk takes writes again, so
   * that refusing uploads for a storage failure ends when the disk is back.
   */
  async recheck(): Promise<void> {
    const now = this.clock.now();
    if (!this.lastFailure || now - this.lastRecheckAt < RECHECK_INTERVAL_MS) return;
    this.lastRecheckAt = now;
    try {
      const probe = join(this.root, `.write-check${TEMPORARY_SUFFIX}`);
      await ensureDirectory(this.root, this.root);
      await writeFileAtomically(probe, 'ok');
      await rm(probe, { force: true });
      this.lastFailure = undefined;
    } catch {
      // Still failing: the next upload request checks again.
    }
  }

  /**
   * Merges `patch` into an image's sidecar, atomically and durably. Throws `ImageGoneError` when
   * the image was removed meanwhile (retention): the change is then not known to be kept.
   */
  async updateRecord(
    stored: Pick<StoredImage, 'sidecarPath'>,
    patch: Partial<ImageRecord>,
  ): Promise<ImageRecord> {
    const { sidecarPath } = stored;
    const stem = sidecarPath.replace(/\.json$/, '');
    return this.turns.run(stem, async () => {
      const before = await readFile(sidecarPath, 'utf8');
      const current = JSON.parse(before) as ImageRecord;
      const updated = { ...current, ...patch };
      const after = JSON.stringify(updated, null, 2) + '\n';
      await writeFileAtomically(sidecarPath, after);
      await syncDirectory(dirname(sidecarPath));
      // Retention takes the JPEG away first and reads the sidecar after: while the JPEG is here,
      // the pruner has yet to read this sidecar, and keeps what it says to keep (a review).
      if (!(await statOrUndefined(`${stem}.jpg`))) {
        throw new ImageGoneError(`${stem}.jpg was removed while its sidecar was being rewritten`);
      }
      this.events.emit('updated', sidecarPath, current, updated, {
        before: Buffer.byteLength(before),
        after: Buffer.byteLength(after),
      });
      return updated;
    });
  }

  /**
   * Removes what a crash left of image `imageId` (between the two renames of a write, or the two
   * removals of retention): its JPEG without a sidecar (never acknowledged: the device sends it
   * again, or the spool stores it again) or its sidecar without a JPEG. Only a file last changed
   * before `olderThan` (the start of this process) is removed, never one this process is writing.
   */
  async removeOrphan(imageId: string, olderThan: number): Promise<OrphanKind | undefined> {
    if (!isImageId(imageId)) return undefined;
    const stem = join(this.root, imageId);
    return this.turns.run(stem, async () => {
      const [image, sidecar] = await Promise.all([
        statOrUndefined(`${stem}.jpg`),
        statOrUndefined(`${stem}.json`),
      ]);
      if (image && sidecar) return undefined;
      const orphan = image ? 'image' : sidecar ? 'sidecar' : undefined;
      const changedAt = (image ?? sidecar)?.mtimeMs ?? Infinity;
      if (!orphan || changedAt >= olderThan) return undefined;
      await rm(`${stem}.${orphan === 'image' ? 'jpg' : 'json'}`, { force: true });
      this.events.emit('removed', [imageId], 'orphan');
      return orphan;
    });
  }

  /**
   * Creates the root and removes the temporary files a crash left in it. Those deeper in the
   * tree are removed by the retention scan, off the event loop. Returns how many were removed.
   */
  async prepare(): Promise<number> {
    await ensureDirectory(this.root, this.root);
    let removed = 0;
    for (const name of await readdirOrEmpty(this.root)) {
      if (name.endsWith(TEMPORARY_SUFFIX)) {
        await rm(join(this.root, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Every sidecar under the root, oldest day first; from day `fromDay` (yyyy-mm-dd) on when given. */
  async *sidecars(fromDay = ''): AsyncGenerator<string> {
    let days: string[];
    try {
      days = (await readdir(this.root)).filter((name) => DAY_FOLDER.test(name) && name >= fromDay).sort();
    } catch {
      return;
    }
    for (const day of days) {
      for await (const path of this.walk(join(this.root, day))) {
        if (path.endsWith('.json')) yield path;
      }
    }
  }

  /**
   * Sidecars of the newest stored images, newest first, at most `count`: days newest first, and
   * within a day by time of acceptance (file names start with it), whatever the device. Only the
   * newest `count` of each device folder are sorted together, so a busy day costs the event loop
   * a sort of a few thousand names, not of every image.
   */
  async newestSidecars(count: number): Promise<string[]> {
    let days: string[];
    try {
      days = (await readdir(this.root))
        .filter((name) => DAY_FOLDER.test(name))
        .sort()
        .reverse();
    } catch {
      return [];
    }
    const newest: string[] = [];
    for (const day of days) {
      const wanted = count - newest.length;
      const candidates: { name: string; path: string }[] = [];
      for (const device of await readdirOrEmpty(join(this.root, day))) {
        const folder = join(this.root, day, device);
        const names = (await readdirOrEmpty(folder)).filter((name) => name.endsWith('.json'));
        for (const name of names.sort().reverse().slice(0, wanted))
          candidates.push({ name, path: join(folder, name) });
      }
      candidates.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
      newest.push(...candidates.slice(0, wanted).map((candidate) => candidate.path));
      if (newest.length === count) break;
    }
    return newest;
  }

  /**
   * The JPEG of a stored image, from its id (`<day>/<device>/<time>-<transfer id>`, as records
   * give it); undefined for anything else, so that no path outside the store can be asked for.
   */
  imagePathOf(imageId: string): string | undefined {
    if (!isImageId(imageId)) return undefined;
    return join(this.root, `${imageId}.jpg`);
  }

  private async write(image: Buffer, arrival: ImageArrival): Promise<StoredImage> {
    const storedAt = this.clock.now();
    // Day and time of acceptance and the transfer id name the file, so a second write of the
    // same transfer (a restart between the write and its record) lands on the same file.
    const { day, device, stem } = imageNameOf(
      arrival.acceptedAt,
      arrival.deviceId,
      arrival.source.address,
      arrival.transferId,
    );
    const directory = join(this.root, day, device);
    const imagePath = join(directory, `${stem}.jpg`);
    const sidecarPath = join(directory, `${stem}.json`);
    // The turn is taken at once (before any await), so that what comes for this image after waits.
    return this.turns.run(join(directory, stem), async () => {
      const sha256 = Buffer.from(await webcrypto.subtle.digest('SHA-256', image)).toString('hex');
      const record = sidecarRecordOf(arrival, { size: image.length, sha256 }, storedAt);
      await ensureDirectory(this.root, directory);
      await writeFileAtomically(imagePath, image);
      try {
        await writeFileAtomically(sidecarPath, JSON.stringify(record, null, 2) + '\n');
      } catch (error) {
        // Not acknowledged: a JPEG without its sidecar would only take room (a full disk) until
        // the next start. A sidecar of an earlier write of the same transfer stays with its JPEG.
        if (!(await statOrUndefined(sidecarPath))) await rm(imagePath, { force: true });
        throw error;
      }
      await syncDirectory(directory);
      return { imageId: record.imageId, imagePath, sidecarPath, record };
    });
  }

  private async *walk(directory: string): AsyncGenerator<string> {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(directory, entry.name);
      // Dot-folders (the spool) are not images.
      if (entry.isDirectory() && !entry.name.startsWith('.')) yield* this.walk(path);
      else if (entry.isFile()) yield path;
    }
  }
}

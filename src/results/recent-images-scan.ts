import { readFile } from 'node:fs/promises';
import type { ImageRecord } from '../storage/image-record.js';
import type { ImageStore } from '../storage/image-store.js';

/** Sidecars read at once: enough to keep the disk busy, few enough to keep each turn short. */
const BATCH = 32;

/**
 * The start-up scan of the index: the sidecars of the newest `count` stored images, read and
 * parsed a batch at a time (each batch yielded before the next is read, so the event loop gets
 * turns in between). A sidecar that cannot be read or parsed (being rewritten, pruned meanwhile)
 * is left out. Kept apart from the index so that one scan of the store can later feed it and
 * retention alike.
 */
export async function* scanRecentRecords(store: ImageStore, count: number): AsyncGenerator<ImageRecord[]> {
  const sidecars = await store.newestSidecars(count);
  for (let start = 0; start < sidecars.length; start += BATCH) {
    const batch = await Promise.all(
      sidecars.slice(start, start + BATCH).map(async (path) => {
        try {
          const record = JSON.parse(await readFile(path, 'utf8')) as ImageRecord;
          return typeof record?.imageId === 'string' && typeof record.timings?.storedAt === 'string'
            ? record
            : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    yield batch.filter((record): record is ImageRecord => record !== undefined);
  }
}

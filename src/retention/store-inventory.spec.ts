import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../common/clock.js';
import { validateEnvironment } from '../config/index.js';
import { ImageStore } from '../storage/image-store.js';
import { StoreEvents, type RemovalReason } from '../storage/store-events.js';
import { testArrival } from '../storage/testing/test-arrival.js';
import { RetentionEvents, type ScanSummary } from './retention-events.js';
import { DAY_MS } from './retention-policy.js';
import type { FoundImage } from './store-scan.js';
import { StoreInventory } from './store-inventory.js';
import { seedStore, type SeededImage } from './testing/seed-store.js';

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The inventory as the gateway runs it, with its real thread, on a store left by an earlier
 * process: what other readers get from it (the images found, the events), and what it repairs.
 */
describe('StoreInventory', () => {
  let root: string;
  let inventory: StoreInventory;
  let images: ImageStore;
  const storeEvents = new StoreEvents();
  const events = new RetentionEvents();
  const removed: [readonly string[], RemovalReason][] = [];
  const found: FoundImage[] = [];
  let reading: Promise<void>;
  let seeded: SeededImage[];
  let leftover: SeededImage;
  let summary: ScanSummary | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'store-inventory-'));
    const now = Date.now();
    seeded = seedStore(root, [
      { acceptedAt: now - 40 * DAY_MS, deviceId: 1, kind: 'normal', imageBytes: 4000 },
      { acceptedAt: now - 2 * DAY_MS, deviceId: 1, kind: 'kept-longer', imageBytes: 4000 },
      { acceptedAt: now - DAY_MS, deviceId: 2, kind: 'normal', imageBytes: 4000 },
    ]);
    [leftover] = seedStore(root, [
      { acceptedAt: now - DAY_MS + 7, deviceId: 2, kind: 'normal', imageBytes: 100, only: 'image' },
    ]);
    const env = validateEnvironment({
      STORAGE_DIR: root,
      ANALYSIS_ENABLED: 'false',
      BACKGROUND_THREADS_NICE: '0',
    });
    images = new ImageStore(root, systemClock, storeEvents);
    inventory = new StoreInventory(env, images, storeEvents, events);
    storeEvents.on('removed', (ids, reason) => removed.push([ids, reason]));
    events.on('scanned', (scan) => (summary = scan));
    const feed = inventory.found({ recordsFromDay: new Date(now - 3 * DAY_MS).toISOString().slice(0, 10) });
    reading = (async () => {
      for await (const image of feed) found.push(image);
    })();
    inventory.onModuleInit();
    inventory.onApplicationBootstrap();
  });

  after(async () => {
    await inventory.onModuleDestroy();
    await rm(root, { recursive: true, force: true });
  });

  it('gives the images its scan finds, with the records of the days asked, and ends with the scan', async () => {
    await reading;
    assert.deepEqual(
      found.map((image) => [image.imageId, image.record?.imageId]),
      [
        [seeded[0]!.imageId, undefined],
        [seeded[1]!.imageId, seeded[1]!.imageId],
        [seeded[2]!.imageId, seeded[2]!.imageId],
      ],
    );
  });

  it('removes the crash leftover through the store, and tells of it and of what it pruned', async () => {
    await until('the scan summary', () => summary);
    assert.equal(summary!.imagesWithoutSidecar, 1);
    assert.equal(existsSync(leftover.imagePath), false);
    await until('the age pass', () => (removed.some(([, reason]) => reason === 'age') ? true : undefined));
    assert.deepEqual(
      removed.sort(([, a], [, b]) => a.localeCompare(b)),
      [
        [[seeded[0]!.imageId], 'age'],
        [[leftover.imageId], 'orphan'],
      ],
    );
    assert.equal(existsSync(seeded[0]!.imagePath), false);
  });

  it('counts an image stored after the scan from the store event', async () => {
    await until('the totals after the age pass', () => (inventory.totals.images === 2 ? true : undefined));
    const before = inventory.totals.bytes;
    await images.save(Buffer.alloc(9000, 1), testArrival(3, Date.now(), 'abc123'));
    await until('the stored image counted', () => (inventory.totals.images === 3 ? true : undefined));
    assert.ok(inventory.totals.bytes >= before + 9000, `${inventory.totals.bytes} after ${before}`);
    assert.equal(inventory.totals.scanned, true);
  });
});

import assert from 'node:assert/strict';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../common/fake-clock.js';
import type { StoredImage } from './image-record.js';
import { ImageGoneError, ImageStore } from './image-store.js';
import type { RemovalReason } from './store-events.js';
import { testArrival } from './testing/test-arrival.js';

const arrival = (deviceId: number, acceptedAt: number, transferId: string) =>
  testArrival(deviceId, acceptedAt, transferId);

describe('ImageStore: the newest images', () => {
  let root: string;
  let store: ImageStore;
  const ids: string[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'image-store-'));
    store = new ImageStore(root, new FakeClock());
    const day = Date.UTC(2026, 10, 26);
    // Accepted in this order, across two days and three devices.
    const uploads: [number, number][] = [
      [1, day + 1000],
      [2, day + 2000],
      [1, day + 86_400_000 + 500],
      [3, day + 86_400_000 + 700],
      [2, day + 86_400_000 + 900],
    ];
    for (const [index, [deviceId, acceptedAt]] of uploads.entries()) {
      const stored = await store.save(
        Buffer.from([0xff, 0xd8, index]),
        arrival(deviceId, acceptedAt, `a${index}`),
      );
      ids.push(stored.imageId);
    }
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists sidecars newest first by time of acceptance, whatever the device, across days', async () => {
    const sidecars = await store.newestSidecars(10);
    assert.deepEqual(
      sidecars.map((path) => path.slice(root.length + 1, -'.json'.length)),
      [...ids].reverse(),
    );
    assert.equal((await store.newestSidecars(2)).length, 2);
  });

  it('gives the path of a stored image from its id, and nothing for any other string', () => {
    assert.equal(store.imagePathOf(ids[0]!), join(root, `${ids[0]}.jpg`));
    for (const id of ['../etc/passwd', `${ids[0]}/..`, '2026-11-26/1_10.0.0.1/../../x', '', 'a/b/c']) {
      assert.equal(store.imagePathOf(id), undefined, id);
    }
  });
});

describe('ImageStore: a write that fails half way', () => {
  it('leaves no image without its sidecar (the sidecar could not be written)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'image-store-'));
    try {
      const store = new ImageStore(root, new FakeClock());
      const acceptedAt = Date.UTC(2026, 10, 26, 8, 30, 15, 123);
      const folder = join(root, '2026-11-26', '7_10.0.0.7');
      // A sidecar that cannot be written: its record cannot be serialised (the disk full would
      // fail the same way, after the image was renamed into place).
      const unwritable = { ...arrival(7, acceptedAt, 'b1'), announcedSize: 1n as unknown as number };
      await assert.rejects(store.save(Buffer.from([0xff, 0xd8, 1]), unwritable), TypeError);
      assert.deepEqual(
        (await readdir(folder)).filter((name) => name.endsWith('.jpg')),
        [],
        'the image renamed into place was taken back',
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('ImageStore: events, and what a crash leaves', () => {
  let root: string;
  let store: ImageStore;
  const day = Date.UTC(2026, 10, 26);
  const longAgo = new Date(day);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'image-store-'));
    store = new ImageStore(root, new FakeClock(day + 60_000));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Stores an image and dates its files back, as a previous process would have left them. */
  async function storedLongAgo(transferId: string): Promise<StoredImage> {
    const stored = await store.save(Buffer.from([0xff, 0xd8, 1, 2]), arrival(7, day + 1000, transferId));
    utimesSync(stored.imagePath, longAgo, longAgo);
    utimesSync(stored.sidecarPath, longAgo, longAgo);
    return stored;
  }

  it('tells of each image stored and each sidecar rewritten, once on disk', async () => {
    const seen: string[] = [];
    const onStored = (image: StoredImage) => seen.push(`stored ${existsSync(image.sidecarPath)}`);
    const onUpdated = (
      _path: string,
      before: { review?: unknown },
      after: { review?: unknown },
      bytes: { before: number; after: number },
    ) =>
      seen.push(
        `updated ${before.review === undefined} ${JSON.stringify(after.review)} ${bytes.after > bytes.before}`,
      );
    store.events.on('stored', onStored);
    store.events.on('updated', onUpdated);
    const stored = await store.save(Buffer.from([0xff, 0xd8, 9]), arrival(8, day + 2000, 'e1'));
    await store.updateRecord(stored, { review: { label: 'good', at: '2026-11-26T10:00:00.000Z' } });
    store.events.off('stored', onStored);
    store.events.off('updated', onUpdated);
    assert.deepEqual(seen, [
      'stored true',
      'updated true {"label":"good","at":"2026-11-26T10:00:00.000Z"} true',
    ]);
  });

  it('refuses to rewrite the sidecar of an image that was removed meanwhile', async () => {
    const stored = await store.save(Buffer.from([0xff, 0xd8, 3]), arrival(8, day + 3000, 'e2'));
    await unlink(stored.imagePath);
    await assert.rejects(store.updateRecord(stored, { analysis: { verdict: 'pass' } }), ImageGoneError);
  });

  it('removes a JPEG without its sidecar, and a sidecar without its JPEG, left before it started', async () => {
    const removed: [readonly string[], RemovalReason][] = [];
    store.events.on('removed', (ids, reason) => removed.push([ids, reason]));
    const lonelyImage = await storedLongAgo('a1');
    await unlink(lonelyImage.sidecarPath);
    const lonelySidecar = await storedLongAgo('a2');
    await unlink(lonelySidecar.imagePath);
    const whole = await storedLongAgo('a3');
    const startedAt = day + 30_000;
    assert.equal(await store.removeOrphan(lonelyImage.imageId, startedAt), 'image');
    assert.equal(await store.removeOrphan(lonelySidecar.imageId, startedAt), 'sidecar');
    assert.equal(await store.removeOrphan(whole.imageId, startedAt), undefined);
    assert.equal(existsSync(lonelyImage.imagePath), false);
    assert.equal(existsSync(lonelySidecar.sidecarPath), false);
    assert.ok(existsSync(whole.imagePath) && existsSync(whole.sidecarPath));
    assert.deepEqual(removed, [
      [[lonelyImage.imageId], 'orphan'],
      [[lonelySidecar.imageId], 'orphan'],
    ]);
    assert.equal(await store.removeOrphan('../../etc/passwd', startedAt), undefined);
  });

  it('leaves what this process wrote since it started, and waits for a write of the same image under way', async () => {
    const recent = await store.save(Buffer.from([0xff, 0xd8, 4]), arrival(9, day + 4000, 'b1'));
    await unlink(recent.sidecarPath);
    assert.equal(await store.removeOrphan(recent.imageId, longAgo.getTime()), undefined);
    assert.ok(existsSync(recent.imagePath));

    // The same transfer stored again (the spool, after a restart) while its JPEG alone is on disk:
    // the write goes first, then there is nothing to remove.
    const halfDone = await storedLongAgo('b2');
    await unlink(halfDone.sidecarPath);
    const image = Buffer.from([0xff, 0xd8, 5, 6, 7]);
    const [, orphan] = await Promise.all([
      store.save(image, arrival(7, day + 1000, 'b2')),
      store.removeOrphan(halfDone.imageId, day + 30_000),
    ]);
    assert.equal(orphan, undefined);
    assert.ok(readFileSync(halfDone.imagePath).equals(image));
    assert.ok(existsSync(halfDone.sidecarPath));
  });
});

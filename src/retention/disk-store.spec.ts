import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../common/fake-clock.js';
import { ImageGoneError, ImageStore } from '../storage/image-store.js';
import { DiskStore } from './disk-store.js';
import { classOf } from './retention-policy.js';
import type { ImageRef } from './retention-store.js';
import { seedStore } from './testing/seed-store.js';
import { DEFAULT_POLICY } from './testing/pruning-harness.js';

const DAY = Date.UTC(2026, 2, 3);
const NOW = DAY + 40 * 86_400_000;
const roots: string[] = [];

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'disk-store-'));
  roots.push(root);
  return root;
}

function refOf(imageId: string): ImageRef {
  const [day, device, stem] = imageId.split('/') as [string, string, string];
  return { day, device, stem };
}

/** Removes unless the sidecar now says the image is no longer a plain one past its limit. */
const keepUnlessNormal = (ref: ImageRef) => (kind: Parameters<typeof classOf>[0]) =>
  classOf(kind, ref.day, NOW, DEFAULT_POLICY) !== 'normal';

describe('DiskStore', () => {
  after(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('lists day folders in order, and only the names ImageStore makes', () => {
    const root = freshRoot();
    const [first] = seedStore(root, [
      { acceptedAt: DAY + 5000, deviceId: 3, kind: 'normal', imageBytes: 100 },
      { acceptedAt: DAY - 86_400_000, deviceId: 3, kind: 'normal', imageBytes: 100 },
    ]);
    writeFileSync(join(root, '2026-03-03', 'notes.txt'), 'x');
    writeFileSync(join(root, '2026-03-03', '3_10.0.0.3', 'readme.jpg'), 'x');
    writeFileSync(join(root, 'not-a-day'), 'x');
    const store = new DiskStore(root);
    assert.deepEqual(store.days(), ['2026-03-02', '2026-03-03']);
    assert.deepEqual(store.devices('2026-03-03'), ['3_10.0.0.3']);
    assert.deepEqual(store.stems('2026-03-03', '3_10.0.0.3'), [refOf(first!.imageId).stem]);
  });

  it('removes an image and its sidecar, and says how much room they took', () => {
    const root = freshRoot();
    const [image] = seedStore(root, [{ acceptedAt: DAY, deviceId: 1, kind: 'normal', imageBytes: 30_000 }]);
    const store = new DiskStore(root);
    const ref = refOf(image!.imageId);
    const taken = statSync(image!.imagePath).blocks * 512 + statSync(image!.sidecarPath).blocks * 512;
    assert.equal(store.bytesOf(ref), taken);
    assert.equal(store.inspect(ref), 'normal');
    assert.equal(store.remove(ref, keepUnlessNormal(ref)), taken);
    assert.equal(existsSync(image!.imagePath), false);
    assert.equal(existsSync(image!.sidecarPath), false);
    assert.equal(store.remove(ref, keepUnlessNormal(ref)), undefined);
  });

  it('keeps an image, byte for byte, whose sidecar gained a review after the pruner last read it', async () => {
    const root = freshRoot();
    const [image] = seedStore(root, [{ acceptedAt: DAY, deviceId: 1, kind: 'normal', imageBytes: 20_000 }]);
    const store = new DiskStore(root);
    const images = new ImageStore(root, new FakeClock(NOW));
    const ref = refOf(image!.imageId);
    const bytes = readFileSync(image!.imagePath);
    assert.equal(store.inspect(ref), 'normal');
    await images.updateRecord(image!, { review: { label: 'kink', at: new Date(NOW).toISOString() } });
    assert.equal(store.remove(ref, keepUnlessNormal(ref)), undefined);
    assert.ok(readFileSync(image!.imagePath).equals(bytes));
    assert.equal(JSON.parse(readFileSync(image!.sidecarPath, 'utf8')).review.label, 'kink');
  });

  it('tells a sidecar writer that came too late that the image is gone', async () => {
    const root = freshRoot();
    const [image] = seedStore(root, [{ acceptedAt: DAY, deviceId: 1, kind: 'normal', imageBytes: 2_000 }]);
    const images = new ImageStore(root, new FakeClock(NOW));
    // The pruner's first step: the JPEG taken away, the sidecar not read yet.
    renameSync(image!.imagePath, `${image!.imagePath}.aside`);
    await assert.rejects(
      images.updateRecord(image!, { review: { label: 'good', at: new Date(NOW).toISOString() } }),
      ImageGoneError,
    );
  });

  it('removes empty folders only', () => {
    const root = freshRoot();
    const [image] = seedStore(root, [{ acceptedAt: DAY, deviceId: 1, kind: 'normal', imageBytes: 100 }]);
    const store = new DiskStore(root);
    const ref = refOf(image!.imageId);
    store.removeFolderIfEmpty(ref.day, ref.device);
    assert.ok(existsSync(image!.imagePath));
    store.remove(ref, () => false);
    store.removeFolderIfEmpty(ref.day, ref.device);
    assert.deepEqual(store.days(), []);
  });
});

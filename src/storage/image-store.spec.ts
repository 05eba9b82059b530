import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../common/fake-clock.js';
import type { ImageArrival } from './image-record.js';
import { ImageStore } from './image-store.js';

function arrival(deviceId: number, acceptedAt: number, transferId: string): ImageArrival {
  return {
    transferId,
    clientType: 1,
    deviceId,
    source: { address: `10.0.0.${deviceId}`, port: 44444 },
    flowMode: 'burst',
    packets: 1,
    packetSize: 1460,
    announcedSize: null,
    duplicates: 0,
    conflicts: 0,
    duplicateRequests: 0,
    endOfTransferRounds: 1,
    acceptedAt,
    firstPacketAt: acceptedAt,
    completedAt: acceptedAt,
  };
}

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
      // A non-empty directory where the sidecar goes: its rename into place fails.
      await mkdir(join(folder, '083015123-b1.json', 'blocker'), { recursive: true });
      await assert.rejects(store.save(Buffer.from([0xff, 0xd8, 1]), arrival(7, acceptedAt, 'b1')));
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

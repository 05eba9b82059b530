import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../common/fake-clock.js';
import { ImageStore } from '../storage/image-store.js';
import type { ImageToAnalyse } from './analysis-protocol.js';
import { BacklogScan } from './backlog-scan.js';
import { storeTestImage } from './testing-images.js';

const DAY_MS = 86_400_000;

/** A backlog lane of `room` places that remembers what it took. */
class Lane {
  readonly taken: ImageToAnalyse[] = [];
  constructor(
    public room: number,
    private readonly busy = new Set<string>(),
  ) {}
  has = (path: string) => this.busy.has(path) || this.taken.some((image) => image.sidecarPath === path);
  hasRoom = () => this.room > 0;
  take = (image: ImageToAnalyse) => {
    this.room--;
    this.taken.push(image);
    return true;
  };
}

/** The walk, then the feeding it started. */
async function walked(scan: BacklogScan): Promise<void> {
  await scan.request();
  await scan.feed();
}

describe('BacklogScan', () => {
  let root: string;
  let clock: FakeClock;
  let store: ImageStore;
  const sidecars: string[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'backlog-scan-'));
    clock = new FakeClock(Date.UTC(2026, 11, 1, 12));
    store = new ImageStore(root, clock);
    // Eight days of images, one a day, the oldest first; the one of yesterday already analysed.
    for (let day = 7; day >= 0; day--) {
      const stored = await storeTestImage(store, Buffer.from([0xff, 0xd8, 0xff, 0xd9]), {
        transferId: `t${day}`,
        deviceId: day,
        port: 4000 + day,
        at: Date.UTC(2026, 11, 1, 12) - day * DAY_MS,
      });
      if (day === 1) await store.updateRecord(stored, { analysis: { status: 'analysed' } });
      sidecars.push(stored.sidecarPath);
    }
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('finds the unanalysed images of the last days, oldest first, and feeds the lane only as it has room', async () => {
    const lane = new Lane(2);
    const walks: number[] = [];
    const scan = new BacklogScan(3, store, clock, lane, (found, done) => done && walks.push(found));
    await walked(scan);
    // Days 2 and 0 (today) are unanalysed within the last 3 days; day 1 is analysed.
    assert.deepEqual(walks, [2]);
    assert.deepEqual(
      lane.taken.map((image) => image.record.deviceId),
      [2, 0],
    );
    assert.equal(scan.waiting, 0);

    const narrow = new Lane(1);
    const again = new BacklogScan(7, store, clock, narrow, () => undefined);
    await walked(again);
    assert.deepEqual(
      narrow.taken.map((image) => image.record.deviceId),
      [6],
      'one place: the oldest in the window',
    );
    assert.equal(again.waiting, 5, 'the others wait, counted');
    narrow.room = 10;
    await again.feed();
    assert.deepEqual(
      narrow.taken.map((image) => image.record.deviceId),
      [6, 5, 4, 3, 2, 0],
    );
    assert.equal(again.waiting, 0);
  });

  it('leaves out images already queued or being classified, and walks none with 0 days', async () => {
    const lane = new Lane(10, new Set([sidecars[5]!]));
    const scan = new BacklogScan(3, store, clock, lane, () => undefined);
    await walked(scan);
    assert.deepEqual(
      lane.taken.map((image) => image.sidecarPath),
      [sidecars[7]],
      'day 2 is being classified already',
    );
    const off = new Lane(10);
    const none = new BacklogScan(0, store, clock, off, () => undefined);
    await walked(none);
    assert.deepEqual(off.taken, []);
  });
});

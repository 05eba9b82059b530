import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RecentImages } from './recent-images.js';
import { testRecord as record } from './testing-records.js';

const DAY = Date.UTC(2026, 10, 27);

function analysed(verdict: string, label: string): Record<string, unknown> {
  return {
    status: 'analysed',
    verdict,
    label,
    confidence: 0.9,
    modelId: 'm1',
    analysedAt: new Date(DAY).toISOString(),
  };
}

describe('RecentImages: the in-memory index of the newest images', () => {
  it('lists newest first by time stored, whatever the order they came in, and pages strictly older', () => {
    const index = new RecentImages(100);
    const times = [5, 1, 9, 3, 7].map((second) => DAY + second * 1000);
    index.addScanned(times.slice(0, 3).map((at) => record(1, at)));
    for (const at of times.slice(3)) index.upsert(record(2, at));
    const order = [...index.newest()].map((image) => image.storedAtMs);
    assert.deepEqual(
      order,
      [...times].sort((a, b) => b - a),
    );
    const [, second] = [...index.newest()];
    assert.deepEqual(
      [...index.newest({}, second)].map((image) => image.storedAtMs),
      order.slice(2),
    );
  });

  it('keeps at most its capacity, the oldest leaving', () => {
    const index = new RecentImages(3);
    for (let second = 0; second < 5; second++) index.upsert(record(1, DAY + second * 1000));
    assert.equal(index.size, 3);
    assert.equal(index.oldestStoredAtMs, DAY + 2000);
    assert.deepEqual(index.addScanned([record(1, DAY - 1000)]), [], 'older than all it keeps when full');
  });

  it('lets a live record replace what it had, and a scanned one never', () => {
    const index = new RecentImages(10);
    const stored = record(4, DAY);
    index.upsert(stored);
    const { previous } = index.upsert(record(4, DAY, analysed('defect', 'kink')));
    assert.equal(previous?.summary.status, 'pending');
    assert.deepEqual(index.addScanned([stored]), []);
    assert.equal(index.get(stored.imageId)?.summary.verdict, 'defect');
    assert.equal(index.size, 1);
  });

  it('filters by camera, device id, verdict, label and time', () => {
    const index = new RecentImages(10);
    index.upsert(record(1, DAY + 1000, analysed('pass', 'good')));
    index.upsert(record(2, DAY + 2000, analysed('defect', 'kink')));
    index.upsert(record(2, DAY + 3000));
    const ids = (filter: Parameters<RecentImages['newest']>[0]) =>
      [...index.newest(filter)].map((i) => i.storedAtMs - DAY);
    assert.deepEqual(ids({ device: 2 }), [3000, 2000]);
    assert.deepEqual(ids({ device: '1_10.0.0.1' }), [1000]);
    assert.deepEqual(ids({ verdict: 'defect' }), [2000]);
    assert.deepEqual(ids({ status: 'pending' }), [3000]);
    assert.deepEqual(ids({ label: 'good' }), [1000]);
    assert.deepEqual(ids({ sinceMs: DAY + 2000, untilMs: DAY + 3000 }), [2000]);
  });

  it('forgets images whose files are gone, and changes its version with every change', () => {
    const index = new RecentImages(10);
    const first = record(1, DAY);
    index.upsert(first);
    index.upsert(record(1, DAY + 1000));
    const version = index.version;
    assert.equal(index.forget(first.imageId), true);
    assert.equal(index.forget(first.imageId), false);
    assert.equal(
      index.forgetWhere((image) => image.imageId.startsWith('2026-11-27')),
      1,
    );
    assert.equal(index.size, 0);
    assert.ok(index.version > version);
  });

  it('stays sorted and within capacity under any mix of live and scanned records (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 3 })), {
          maxLength: 60,
        }),
        (steps) => {
          const index = new RecentImages(20);
          for (const [live, second, device] of steps) {
            const each = record(device, DAY + second * 1000);
            if (live) index.upsert(each);
            else index.addScanned([each]);
          }
          const listed = [...index.newest()];
          assert.ok(listed.length <= 20);
          assert.equal(listed.length, index.size);
          for (let at = 1; at < listed.length; at++)
            assert.ok(listed[at - 1]!.storedAtMs >= listed[at]!.storedAtMs);
          for (const image of listed) assert.equal(index.get(image.imageId), image);
        },
      ),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RecentImages } from '../results/recent-images.js';
import { testRecord } from '../results/testing-records.js';
import {
  decodeQueuePosition,
  encodeQueuePosition,
  inPassSample,
  nextInQueue,
  reviewQueue,
} from './review-queue.js';

const T0 = Date.UTC(2026, 11, 1, 8);

const analysis = (verdict: string, confidence: number) => ({
  status: 'analysed',
  verdict,
  label: verdict === 'pass' ? 'good' : 'kink',
  confidence,
  scores: { good: 1 - confidence, kink: confidence },
  model: 'default',
  modelId: 'm1',
  analysedAt: new Date(T0).toISOString(),
});

describe('the review queue', () => {
  it('asks about uncertain images first, then defects, then the sampled passes; least confident first', () => {
    const index = new RecentImages(100);
    index.addScanned([
      testRecord(1, T0 + 1000, analysis('defect', 0.9)),
      testRecord(1, T0 + 2000, analysis('uncertain', 0.55)),
      testRecord(1, T0 + 3000, analysis('pass', 0.7)),
      testRecord(1, T0 + 4000, analysis('defect', 0.65)),
      testRecord(1, T0 + 5000, analysis('uncertain', 0.41)),
      testRecord(1, T0 + 6000),
      testRecord(1, T0 + 7000, { status: 'undecodable', verdict: null, label: null, confidence: null }),
      testRecord(1, T0 + 8000, analysis('uncertain', 0.3), { review: { label: 'good', at: 'x' } }),
    ]);
    const queue = reviewQueue(index.newest(), 1);
    assert.deepEqual(
      queue.map((queued) => [queued.tier, queued.image.summary.confidence]),
      [
        ['uncertain', 0.41],
        ['uncertain', 0.55],
        ['defect', 0.65],
        ['defect', 0.9],
        ['pass', 0.7],
      ],
      'not analysed, undecodable and reviewed images are not asked about',
    );
    assert.equal(reviewQueue(index.newest(), 0).length, 4, 'no pass sampled');
  });

  it('samples the same passes every time, about the share asked for', () => {
    const ids = Array.from(
      { length: 4000 },
      (_, index) => `2026-12-01/1_10.0.0.1/080000000-${index.toString(16)}`,
    );
    const sampled = ids.filter((id) => inPassSample(id, 0.1));
    assert.ok(sampled.length > 320 && sampled.length < 480, `${sampled.length} of 4000`);
    assert.deepEqual(
      ids.filter((id) => inPassSample(id, 0.1)),
      sampled,
    );
    assert.ok(
      sampled.every((id) => inPassSample(id, 0.5)),
      'a larger share keeps every one a smaller share takes',
    );
  });

  it('goes past an image by its cursor, whatever was reviewed meanwhile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('pass', 'defect', 'uncertain'), fc.integer({ min: 1, max: 99 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.nat(),
        (images, pick) => {
          const index = new RecentImages(100);
          index.addScanned(
            images.map(([verdict, percent], i) => testRecord(1, T0 + i, analysis(verdict, percent / 100))),
          );
          const queue = reviewQueue(index.newest(), 1);
          const at = pick % queue.length;
          const cursor = encodeQueuePosition(queue[at]!.position);
          assert.equal(
            nextInQueue(queue, decodeQueuePosition(cursor))?.image.imageId,
            queue[at + 1]?.image.imageId,
          );
          // The image skipped and the one after it reviewed: the next is the one after those.
          const without = queue.filter((_, i) => i !== at + 1);
          assert.equal(
            nextInQueue(without, queue[at]!.position)?.image.imageId,
            queue[at + 2]?.image.imageId,
          );
        },
      ),
    );
    assert.equal(decodeQueuePosition('not-a-cursor'), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confidenceFromScore } from './confidence.js';

describe('confidenceFromScore', () => {
  const cases: ReadonlyArray<[string, number, number]> = [
    ['turns a score of 1 into 10000 basis points', 1, 10_000],
    ['turns a score of 0 into 0', 0, 0],
    ['rounds to the nearest basis point', 0.87654, 8765],
    ['clamps floating-point noise above 1', 1.0000001, 10_000],
    ['clamps a slightly negative score to 0', -1e-9, 0],
  ];
  for (const [behaviour, score, points] of cases) {
    it(behaviour, () => assert.equal(confidenceFromScore(score), points));
  }

  it('throws a RangeError for NaN and infinities', () => {
    for (const score of [Number.NaN, Infinity, -Infinity]) {
      assert.throws(() => confidenceFromScore(score), RangeError);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { accuracy, confusionMatrix, perClassMetrics } from './metrics.js';
import { shuffled, stratifiedSplit } from './split.js';

describe('stratifiedSplit', () => {
  // 10 of class 0, 20 of class 1, 5 of class 2, interleaved.
  const classOf = [...'01210121012101210121011101110111010'].map(Number);

  it('keeps the class proportions in every part and uses each item exactly once', () => {
    const split = stratifiedSplit(classOf, { test: 0.2, validation: 0.1 }, 42);
    const count = (indices: readonly number[], cls: number) =>
      indices.filter((i) => classOf[i] === cls).length;
    assert.deepEqual(
      [0, 1, 2].map((c) => count(split.test, c)),
      [2, 4, 1],
    );
    assert.deepEqual(
      [0, 1, 2].map((c) => count(split.validation, c)),
      [1, 2, 1],
    );
    assert.deepEqual(
      [0, 1, 2].map((c) => count(split.train, c)),
      [7, 14, 3],
    );
    const all = [...split.train, ...split.validation, ...split.test].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      classOf.map((_, i) => i),
    );
  });

  it('is repeatable for a seed and changes with the seed', () => {
    const a = stratifiedSplit(classOf, { test: 0.2, validation: 0.1 }, 42);
    assert.deepEqual(stratifiedSplit(classOf, { test: 0.2, validation: 0.1 }, 42), a);
    assert.notDeepEqual(stratifiedSplit(classOf, { test: 0.2, validation: 0.1 }, 43).test, a.test);
  });

  it('gives a small class at least one test and validation item', () => {
    const split = stratifiedSplit([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], { test: 0.1, validation: 0.1 }, 1);
    assert.equal(split.test.filter((i) => i < 3).length, 1);
    assert.equal(split.validation.filter((i) => i < 3).length, 1);
  });

  it('rejects fractions that leave nothing to train on', () => {
    assert.throws(() => stratifiedSplit([0, 1], { test: 0.6, validation: 0.4 }, 1), /sum to less than 1/);
  });
});

describe('shuffled', () => {
  it('permutes without modifying its input', () => {
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const out = shuffled(items, 3);
    assert.deepEqual(items, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual([...out].sort(), items);
    assert.deepEqual(shuffled(items, 3), out);
  });
});

describe('confusion matrix and metrics', () => {
  // actual:    0 0 0 0 1 1 1 2 2 2
  // predicted: 0 0 1 0 1 1 0 2 1 2
  const matrix = confusionMatrix([0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 1, 0, 2, 1, 2], 3);

  it('counts rows as actual and columns as predicted', () => {
    assert.deepEqual(matrix, [
      [3, 1, 0],
      [1, 2, 0],
      [0, 1, 2],
    ]);
  });

  it('computes accuracy, precision, recall and F1 per class', () => {
    assert.equal(accuracy(matrix), 0.7);
    const [c0, c1, c2] = perClassMetrics(matrix);
    assert.deepEqual(c0, { precision: 0.75, recall: 0.75, f1: 0.75, support: 4 });
    assert.equal(c1.precision, 0.5);
    assert.equal(c1.recall, 2 / 3);
    assert.ok(Math.abs(c1.f1 - 4 / 7) < 1e-12);
    assert.deepEqual(c2, { precision: 1, recall: 2 / 3, f1: 0.8, support: 3 });
  });

  it('reports precision as NaN for a class never predicted', () => {
    const [, never] = perClassMetrics(confusionMatrix([0, 1], [0, 0], 2));
    assert.ok(Number.isNaN(never.precision));
    assert.equal(never.recall, 0);
  });

  it('rejects labels outside the class range', () => {
    assert.throws(() => confusionMatrix([0, 3], [0, 0], 2), /out of range/);
  });
});

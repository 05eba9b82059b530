import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoggableCount, Tally } from './tally.js';

describe('Tally', () => {
  it('counts by key and hands out copies', () => {
    const tally = new Tally();
    assert.equal(tally.increment('bad-length'), 1);
    assert.equal(tally.increment('bad-length'), 2);
    tally.increment('unknown-op');
    const snapshot = tally.snapshot();
    assert.deepEqual(
      [...snapshot],
      [
        ['bad-length', 2],
        ['unknown-op', 1],
      ],
    );
    snapshot.set('bad-length', 99);
    assert.equal(tally.get('bad-length'), 2);
    assert.equal(tally.get('never'), 0);
  });
});

describe('isLoggableCount', () => {
  it('is true at powers of two only', () => {
    const loggable = Array.from({ length: 20 }, (_, index) => index).filter(isLoggableCount);
    assert.deepEqual(loggable, [1, 2, 4, 8, 16]);
    assert.equal(isLoggableCount(2 ** 40), true);
    assert.equal(isLoggableCount(2 ** 40 + 1), false);
  });
});

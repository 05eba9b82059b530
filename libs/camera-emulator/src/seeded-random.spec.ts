import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from './seeded-random.js';

function draw(random: SeededRandom, count: number): number[] {
  return Array.from({ length: count }, () => random.next());
}

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed', () => {
    assert.deepEqual(draw(new SeededRandom(42), 20), draw(new SeededRandom(42), 20));
  });

  it('gives another sequence for another seed', () => {
    assert.notDeepEqual(draw(new SeededRandom(42), 20), draw(new SeededRandom(43), 20));
  });

  it('draws floats in [0, 1) spread over the whole range', () => {
    const values = draw(new SeededRandom(7), 10_000);
    assert.ok(values.every((value) => value >= 0 && value < 1));
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
    const lowest = Math.min(...values);
    const highest = Math.max(...values);
    assert.ok(lowest < 0.001 && highest > 0.999, `range ${lowest}..${highest}`);
  });

  it('draws true with the given probability', () => {
    const random = new SeededRandom(3);
    const hits = Array.from({ length: 10_000 }, () => random.chance(0.2)).filter(Boolean).length;
    assert.ok(hits > 1800 && hits < 2200, `${hits} hits`);
    assert.equal(random.chance(0), false);
    assert.equal(random.chance(1), true);
  });

  it('refuses a seed that is not an integer', () => {
    assert.throws(() => new SeededRandom(1.5), RangeError);
  });
});

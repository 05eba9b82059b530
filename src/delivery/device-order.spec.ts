import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeviceOrder } from './device-order.js';

describe("DeviceOrder: each device's results in the order its images were stored", () => {
  it('holds a result until those of the earlier images of its device are in', () => {
    const released: string[] = [];
    const order = new DeviceOrder<string>(10_000, (result) => released.push(result));
    for (const id of ['a1', 'a2', 'a3']) order.stored('a', id);
    order.stored('b', 'b1');
    order.analysed('a', 'a3', 'a3');
    order.analysed('b', 'b1', 'b1');
    order.analysed('a', 'a2', 'a2');
    assert.deepEqual(released, ['b1']);
    order.analysed('a', 'a1', 'a1');
    assert.deepEqual(released, ['b1', 'a1', 'a2', 'a3']);
    order.drain();
  });

  it('waits at most its limit for an earlier image, and passes what it never saw stored', () => {
    let now = 0;
    const released: string[] = [];
    const order = new DeviceOrder<string>(
      1000,
      (result) => released.push(result),
      () => now,
    );
    order.stored('a', 'a1');
    now = 10;
    order.stored('a', 'a2');
    order.analysed('a', 'old', 'old');
    order.analysed('a', 'a2', 'a2');
    assert.deepEqual(released, ['old']);
    now = 1000;
    order.analysed('b', 'b0', 'b0');
    order.stored('a', 'a3');
    order.analysed('a', 'a3', 'a3');
    assert.deepEqual(released, ['old', 'b0', 'a2', 'a3']);
    order.analysed('a', 'a1', 'a1');
    assert.deepEqual(released.at(-1), 'a1');
    order.drain();
  });
});

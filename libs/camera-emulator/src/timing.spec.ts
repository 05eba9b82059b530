import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRMWARE_TIMING, scaleTiming } from './timing.js';

describe('FIRMWARE_TIMING', () => {
  it('holds the deployed timeouts and pauses of each build', () => {
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(FIRMWARE_TIMING).map(([build, timing]) => [
          build,
          [
            timing.requestTimeoutMs,
            timing.requestRetryDelayMs,
            timing.packetTimeoutMs,
            timing.packetRetryDelayMs,
          ],
        ]),
      ),
      {
        A_WIFI: [5000, 1000, 5000, 1000],
        A_ETHERNET_SPI2: [5000, 1000, 5000, 1000],
        A_ETHERNET: [5000, 100, 5000, 100],
        B: [1000, 100, 1000, 100],
      },
    );
    assert.equal(FIRMWARE_TIMING.B.endOfTransferTimeoutMs, 1000);
    assert.equal(FIRMWARE_TIMING.B.endOfTransferRetryDelayMs, 100);
  });

  it('is frozen', () => {
    assert.ok(Object.isFrozen(FIRMWARE_TIMING));
    assert.ok(Object.isFrozen(FIRMWARE_TIMING.B));
  });
});

describe('scaleTiming', () => {
  it('multiplies every wait by the factor', () => {
    assert.deepEqual(scaleTiming(FIRMWARE_TIMING.B, 0.1), {
      requestTimeoutMs: 100,
      requestRetryDelayMs: 10,
      packetTimeoutMs: 100,
      packetRetryDelayMs: 10,
      endOfTransferTimeoutMs: 100,
      endOfTransferRetryDelayMs: 10,
    });
  });

  it('never goes below 1 ms', () => {
    assert.equal(scaleTiming(FIRMWARE_TIMING.A_ETHERNET, 0.001).requestRetryDelayMs, 1);
  });

  it('refuses a factor that is not a positive number', () => {
    for (const factor of [0, -1, Number.NaN, Infinity]) {
      assert.throws(() => scaleTiming(FIRMWARE_TIMING.B, factor), RangeError);
    }
  });
});

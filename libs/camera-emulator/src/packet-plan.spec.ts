import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataPacket, isRealPacket, maxImageSize, planPackets } from './packet-plan.js';

describe('planPackets', () => {
  it('cuts an image into P-8 byte packets, the last one shorter', () => {
    assert.deepEqual(planPackets(2033, 1024, true), {
      imageSize: 2033,
      maxPacketSize: 1024,
      payloadSize: 1016,
      packetCount: 3,
      realPackets: 3,
      exactMultipleBug: false,
    });
  });

  it('announces one packet too many for an exact multiple of P-8, like the firmware', () => {
    const plan = planPackets(2032, 1024, true);
    assert.equal(plan.packetCount, 3);
    assert.equal(plan.realPackets, 2);
    assert.equal(plan.exactMultipleBug, true);
    assert.equal(isRealPacket(plan, 1), true);
    assert.equal(isRealPacket(plan, 2), false);
  });

  it('announces the right count for an exact multiple when the bug is off', () => {
    const plan = planPackets(2 * 1452, 1460, false);
    assert.equal(plan.packetCount, 2);
    assert.equal(plan.realPackets, 2);
  });

  it('takes the largest image the one-byte count allows, and not a byte more', () => {
    assert.equal(maxImageSize(1460), 370_260);
    assert.equal(planPackets(370_259, 1460, true).packetCount, 255);
    assert.equal(planPackets(370_260, 1460, false).packetCount, 255);
    // With the bug, 255 full packets announce 256: the count no longer fits its byte.
    assert.throws(() => planPackets(370_260, 1460, true), RangeError);
    assert.throws(() => planPackets(370_261, 1460, false), RangeError);
  });

  it('refuses an empty image and a P without room for payload', () => {
    assert.throws(() => planPackets(0, 1024, true), RangeError);
    assert.throws(() => planPackets(10, 8, true), RangeError);
  });
});

describe('dataPacket', () => {
  const image = Buffer.from([10, 11, 12, 13, 14]);
  const plan = planPackets(image.length, 11, true);

  it('writes [1, id, 2, i, L(4)] then the payload at i × (P-8)', () => {
    assert.deepEqual([...dataPacket(99, image, plan, 0)], [1, 99, 2, 0, 0, 0, 0, 3, 10, 11, 12]);
    assert.deepEqual([...dataPacket(99, image, plan, 1)], [1, 99, 2, 1, 0, 0, 0, 2, 13, 14]);
  });

  it('sends P-8 bytes from past the image for an index it does not have', () => {
    assert.deepEqual([...dataPacket(7, image, plan, 9)], [1, 7, 2, 9, 0, 0, 0, 3, 0, 0, 0]);
  });
});

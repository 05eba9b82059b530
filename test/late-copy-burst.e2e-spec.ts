import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FIRMWARE } from '#camera-emulator';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { uploadWithLateCopy } from './support/late-copy.js';
import { assertStored } from './support/stored-images.js';
import { PRODUCTION_WINDOWS } from './support/windows.js';

/**
 * Issue 10, failure 4, for generation B when the late copy comes after image k+1's accept left
 * and before its burst (here: 400 ms after the camera's request, its accept 500 ms slow on the
 * way back). The copy (packet 5 of image k) is the transfer's first packet. Before the fix the
 * flow probe (a burst hint does not skip it) heard nothing for 40 ms after it, decided
 * stop-and-wait and ACKed it; the stop-and-wait ordering then dropped the burst's packets 0 to 4
 * and its real packet 5, and image k+1 was stored with packet 5 of image k, `conflicts: 0`, the
 * camera told "0 missing" (and sent per-packet ACKs). Now a packet whose bytes are the previous
 * image's at that index starts no probe and gets no reply; the burst's own packet 5 replaces it.
 */
describe('a late copy that reaches a burst transfer before its burst', () => {
  const devices = new DevicePool();
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway(PRODUCTION_WINDOWS);
  });

  after(async () => {
    await devices.closeAll();
    await gateway.close();
  });

  it(
    'is not stored in the next image (generation B, the copy between the accept and the burst)',
    {},
    async () => {
      const { device, images, results } = await uploadWithLateCopy(gateway.udp, devices, {
        firmware: FIRMWARE.B,
        deviceId: 79,
        lateIndex: 5,
        copyAfterRequestMs: 400,
        slowAcceptMs: 500,
      });
      for (const result of results) assert.equal(result.ok, true, describeResult(result));
      const stored = await assertStored(
        gateway.storageDir,
        images.map((image) => sentBy(device, image)),
      );
      for (const { sidecar } of stored)
        assert.equal(sidecar.conflicts, 0, `${sidecar.imageId}: no conflicting copy`);
      assert.deepEqual(results[1]!.violations, [], 'no per-packet ACK to burst firmware');
    },
  );
});

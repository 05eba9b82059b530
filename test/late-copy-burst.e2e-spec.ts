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
 * way back). A known failure of the new core, kept apart. The copy (packet 5 of image k) is
 * the transfer's first packet: the flow probe (a burst hint does not skip it) hears nothing for
 * 40 ms and decides stop-and-wait, and ACKs it. When the burst comes, the stop-and-wait ordering
 * drops packets 0 to 4 (behind the next expected, 6) and the real packet 5 (behind it, other
 * bytes) before the copy could give way to it; the end of transfer makes the transfer burst and
 * lists 0 to 4 only. Image k+1 is stored with packet 5 of image k, `conflicts: 0`, and the
 * camera is told "0 missing". It also gets per-packet ACKs (violations).
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

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FIRMWARE } from '#camera-emulator';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { uploadWithLateCopy } from './support/late-copy.js';
import { assertStored } from './support/stored-images.js';
import { PRODUCTION_WINDOWS } from './support/windows.js';

/**
 * Issue 10, failure 4, for generation A when the late copy of packet i of image k reaches the
 * gateway after image k+1's accept left and just before image k+1's own packet i (here i = 0,
 * 100 ms each way: the copy 250 ms after the camera's request, the accept leaving at 150 ms, the
 * real packet 0 arriving at 350 ms). A known failure of the new core, kept apart. The copy is the
 * next expected packet: kept as a "suspect" (its bytes are image k's) and ACKed; the camera takes
 * that ACK for its own packet 0 and goes on. The real packet 0, with other bytes, is then behind
 * the next expected and is dropped as out of sequence before the suspect could give way to it.
 * Image k+1 is stored with image k's packet 0, `conflicts: 0`, and the camera is told "stored".
 * The same happens for any i whose copy lands while i is the next expected (seen for i = 1 too).
 */
describe('a late copy that reaches a stop-and-wait transfer as its next expected packet', () => {
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
    'is not stored in the next image (generation A, the copy between the accept and the real packet)',
    {},
    async () => {
      const { device, images, results } = await uploadWithLateCopy(gateway.udp, devices, {
        firmware: FIRMWARE.A_ETHERNET,
        deviceId: 78,
        lateIndex: 0,
        copyAfterRequestMs: 250,
        linkDelayMs: 100,
      });
      for (const result of results) assert.equal(result.ok, true, describeResult(result));
      const stored = await assertStored(
        gateway.storageDir,
        images.map((image) => sentBy(device, image)),
      );
      for (const { sidecar } of stored)
        assert.equal(sidecar.conflicts, 0, `${sidecar.imageId}: no conflicting copy`);
    },
  );
});

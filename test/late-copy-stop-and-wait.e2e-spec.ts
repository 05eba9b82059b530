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
 * real packet 0 arriving at 350 ms). Before the fix the copy, the next expected packet, was kept
 * and ACKed; the camera took that ACK for its own packet 0 and went on, and the real packet 0,
 * with other bytes, was then behind the next expected and dropped as out of sequence: image k+1
 * was stored with image k's packet 0, `conflicts: 0`, and the camera told "stored". Now a packet
 * behind the next expected whose held copy is the previous image's (and it is not) takes its
 * place, without a second ACK (the camera already read one for that index).
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

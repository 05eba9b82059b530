import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FIRMWARE } from '#camera-emulator';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { uploadWithLateCopy } from './support/late-copy.js';
import { assertStored } from './support/stored-images.js';
import { PRODUCTION_WINDOWS } from './support/windows.js';

/**
 * Issue 10, failure 4: a delayed copy of a packet of image k that reaches the gateway after image
 * k+1 was accepted must never be stored in image k+1, whatever the firmware.
 *
 * - Generation A (stop-and-wait), the copy of packet i of image k just before image k+1's own
 *   packet i (here i = 0, 100 ms each way: the copy 250 ms after the camera's request, the accept
 *   leaving at 150 ms, the real packet 0 arriving at 350 ms). Before the fix the copy, the next
 *   expected packet, was kept and ACKed; the camera took that ACK for its own packet 0 and went
 *   on, and the real packet 0 was then behind the next expected and dropped as out of sequence:
 *   image k+1 was stored with image k's packet 0, `conflicts: 0`, the camera told "stored". Now a
 *   packet behind the next expected whose held copy is the previous image's (and it is not) takes
 *   its place, without a second ACK (the camera already read one for that index).
 * - Generation B (burst), the copy (packet 5 of image k) between image k+1's accept and its burst
 *   (400 ms after the camera's request, its accept 500 ms slow on the way back): the transfer's
 *   first packet. Before the fix the flow probe heard nothing for 40 ms after it, decided
 *   stop-and-wait and ACKed it; the stop-and-wait ordering then dropped the burst's packets 0 to
 *   4 and its real packet 5, and image k+1 was stored with packet 5 of image k, `conflicts: 0`,
 *   the camera told "0 missing" (and sent per-packet ACKs). Now a packet whose bytes are the
 *   previous image's at that index starts no probe and gets no reply; the burst's own packet 5
 *   replaces it.
 */
describe('a late copy of the previous image’s packet', () => {
  const devices = new DevicePool();
  let gateway: TestGateway;

  // A gateway each: what it stored is the case's alone.
  beforeEach(async () => {
    gateway = await startTestGateway(PRODUCTION_WINDOWS);
  });

  afterEach(async () => {
    await devices.closeAll();
    await gateway.close();
  });

  const cases = [
    {
      name: 'generation A, the copy between the accept and the real packet',
      firmware: FIRMWARE.A_ETHERNET,
      options: { deviceId: 78, lateIndex: 0, copyAfterRequestMs: 250, linkDelayMs: 100 },
      burst: false,
    },
    {
      name: 'generation B, the copy between the accept and the burst',
      firmware: FIRMWARE.B,
      options: { deviceId: 79, lateIndex: 5, copyAfterRequestMs: 400, slowAcceptMs: 500 },
      burst: true,
    },
  ];
  for (const { name, firmware, options, burst } of cases) {
    it(`is not stored in the next image (${name})`, async () => {
      const { device, images, results } = await uploadWithLateCopy(gateway.udp, devices, {
        firmware,
        ...options,
      });
      for (const result of results) assert.equal(result.ok, true, describeResult(result));
      const stored = await assertStored(
        gateway.storageDir,
        images.map((image) => sentBy(device, image)),
      );
      for (const { sidecar } of stored)
        assert.equal(sidecar.conflicts, 0, `${sidecar.imageId}: no conflicting copy`);
      if (burst) assert.deepEqual(results[1]!.violations, [], 'no per-packet ACK to burst firmware');
    });
  }
});

import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { FIRMWARE, syntheticJpeg, type CameraDevice } from '#camera-emulator';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { assertStored, readStoredImages, sha256 } from './support/stored-images.js';

/**
 * A generation A device that restarts in the middle of an upload (power cut, watchdog) and starts
 * a new image from the same address and port: the new image is stored, the old one never.
 */
describe('a device restarting mid-transfer', () => {
  let gateway: TestGateway;
  const devices = new DevicePool();

  before(async () => {
    gateway = await startTestGateway();
  });

  after(async () => {
    await devices.closeAll();
    await gateway.close();
  });

  /** Uploads `abandoned` up to `packets` packets, waits `pauseMs`, then uploads `image` in full. */
  async function restart(
    device: CameraDevice,
    abandoned: Buffer,
    image: Buffer,
    pauseMs: number,
  ): Promise<void> {
    const first = await device.upload(abandoned, { stopAfterPackets: 10 });
    assert.equal(first.gaveUp, 'stopped');
    await delay(pauseMs);
    const second = await device.upload(image, { deadlineMs: 20_000 });
    assert.equal(second.ok, true, describeResult(second));
    assert.deepEqual(second.violations, []);
  }

  async function assertNeverStored(image: Buffer): Promise<void> {
    const digest = sha256(image);
    const stored = await readStoredImages(gateway.storageDir);
    assert.equal(stored.filter((each) => each.sha256 === digest).length, 0, 'the abandoned image was stored');
  }

  it('a new image of another size: the new one is stored, the abandoned one is not', async () => {
    const device = await devices.open({
      server: gateway.udp,
      firmware: FIRMWARE.A_WIFI,
      deviceId: 71,
      timeScale: 0.05,
    });
    const abandoned = syntheticJpeg(30_001, 710);
    const image = syntheticJpeg(20_001, 711);
    await restart(device, abandoned, image, 0);
    await assertStored(gateway.storageDir, [sentBy(device, image)], { others: true });
    await assertNeverStored(abandoned);
  });

  it('a new image of the same size, after a pause: the new one is stored, the abandoned one is not', async () => {
    const device = await devices.open({
      server: gateway.udp,
      firmware: FIRMWARE.A_ETHERNET,
      deviceId: 72,
      timeScale: 0.05,
    });
    const abandoned = syntheticJpeg(30_001, 720);
    const image = syntheticJpeg(30_001, 721);
    await restart(device, abandoned, image, 300);
    await assertStored(gateway.storageDir, [sentBy(device, image)], { others: true });
    await assertNeverStored(abandoned);
  });

  // The repeated request alone cannot tell a restart from a late duplicate: the packets that follow
  // do (the first one unlike the packet held means a new image).
  it('a new image of the same size at once: the new one is stored, the abandoned one is not', async () => {
    const device = await devices.open({
      server: gateway.udp,
      firmware: FIRMWARE.A_ETHERNET,
      deviceId: 73,
      timeScale: 0.05,
    });
    const abandoned = syntheticJpeg(30_001, 730);
    const image = syntheticJpeg(30_001, 731);
    await restart(device, abandoned, image, 0);
    await assertStored(gateway.storageDir, [sentBy(device, image)], { others: true });
    await assertNeverStored(abandoned);
  });
});

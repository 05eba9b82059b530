import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AnalysisStatus, NO_CLASS } from '#protocol';
import { FIRMWARE, syntheticJpeg, type LinkDirection, type LinkOptions } from '#camera-emulator';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { assertStored } from './support/stored-images.js';

/**
 * Generation A (stop-and-wait, WiFi P = 1024 and Ethernet P = 1460) and the seed variant, against
 * the real gateway over real UDP.
 */
describe('generation A firmware against the gateway', () => {
  let gateway: TestGateway;
  const devices = new DevicePool();
  const sent: ReturnType<typeof sentBy>[] = [];

  before(async () => {
    gateway = await startTestGateway();
  });

  after(async () => {
    await devices.closeAll();
    await gateway.close();
  });

  it('WiFi build (P = 1024), real firmware timing: stored byte for byte, no timeout, no retry', async () => {
    const device = await devices.open({ server: gateway.udp, firmware: FIRMWARE.A_WIFI });
    const image = syntheticJpeg(61_000, 1);
    const result = await device.upload(image, { deadlineMs: 20_000 });
    assert.equal(result.ok, true, describeResult(result));
    assert.deepEqual(
      [result.packets, result.requestTries, result.timeouts, result.retransmissions, result.nacks],
      [61, 1, 0, 0, 0],
    );
    assert.deepEqual(result.violations, []);
    sent.push(sentBy(device, image));
    const [stored] = await assertStored(gateway.storageDir, sent);
    assert.equal(stored.sidecar.flowMode, 'stop-and-wait');
    assert.deepEqual([stored.sidecar.packets, stored.sidecar.packetSize], [61, 1024]);
    assert.equal(stored.sidecar.announcedSize, null);
  });

  it('Ethernet build (P = 1460), real firmware timing: stored byte for byte, no timeout, no retry', async () => {
    const device = await devices.open({ server: gateway.udp, firmware: FIRMWARE.A_ETHERNET, deviceId: 12 });
    const image = syntheticJpeg(150_001, 2);
    const result = await device.upload(image, { deadlineMs: 20_000 });
    assert.equal(result.ok, true, describeResult(result));
    assert.deepEqual([result.packets, result.timeouts, result.retransmissions], [104, 0, 0]);
    assert.deepEqual(result.violations, []);
    sent.push(sentBy(device, image));
    const stored = await assertStored(gateway.storageDir, sent);
    assert.deepEqual([stored[1].sidecar.packets, stored[1].sidecar.packetSize], [104, 1460]);
  });

  it('seed variant: the request carries S and the gateway stores exactly S bytes', async () => {
    const device = await devices.open({
      server: gateway.udp,
      firmware: FIRMWARE.SEED_ETHERNET,
      deviceId: 13,
    });
    const image = syntheticJpeg(40_321, 3);
    const result = await device.upload(image, { deadlineMs: 20_000 });
    assert.equal(result.ok, true, describeResult(result));
    assert.equal(result.timeouts, 0);
    assert.deepEqual(result.violations, []);
    sent.push(sentBy(device, image));
    const stored = await assertStored(gateway.storageDir, sent);
    assert.equal(stored[2].sidecar.announcedSize, 40_321);
  });

  it('waits for the op-4 analysis result after the upload and confirms it', async () => {
    const device = await devices.open({ server: gateway.udp, firmware: FIRMWARE.A_ETHERNET, deviceId: 15 });
    const image = syntheticJpeg(5_000, 5);
    const result = await device.upload(image, { deadlineMs: 20_000, awaitAnalysisMs: 10_000 });
    assert.equal(result.ok, true, describeResult(result));
    assert.deepEqual(result.violations, []);
    assert.ok(result.analysis?.received, 'an op-4 result arrived');
    // The test gateway runs without a model: the result says analysis unavailable.
    assert.deepEqual(
      [result.analysis.result.deviceId, result.analysis.result.status, result.analysis.result.classIndex],
      [15, AnalysisStatus.Unavailable, NO_CLASS],
    );
    sent.push(sentBy(device, image));
    await assertStored(gateway.storageDir, sent);
  });

  it('lost final ACK: the last packet comes again, is ACKed, and the image is stored once', async () => {
    const image = syntheticJpeg(10_000, 4);
    const lastIndex = Math.ceil(10_000 / 1016) - 1;
    let dropped = 0;
    const link: LinkOptions = {
      drop: (datagram: Buffer, direction: LinkDirection) =>
        direction === 'incoming' &&
        dropped === 0 &&
        datagram[2] === 2 &&
        datagram[3] === lastIndex &&
        ++dropped > 0,
    };
    const device = await devices.open({ server: gateway.udp, deviceId: 14, timeScale: 0.05, link });
    const result = await device.upload(image, { deadlineMs: 10_000 });
    assert.equal(result.ok, true, describeResult(result));
    assert.equal(dropped, 1);
    assert.deepEqual([result.timeouts, result.retransmissions], [1, 1]);
    sent.push(sentBy(device, image));
    await assertStored(gateway.storageDir, sent);
  });

  it('20% loss both ways, with duplicates and reordering: every image intact', async () => {
    const loss = { loss: 0.2, duplication: 0.1, delayMs: 1, jitterMs: 8 };
    const firmware = [FIRMWARE.A_WIFI, FIRMWARE.A_ETHERNET, FIRMWARE.A_WIFI, FIRMWARE.SEED_WIFI];
    const uploads = await Promise.all(
      firmware.map(async (profile, position) => {
        const link: LinkOptions = { seed: 100 + position, outgoing: loss, incoming: loss };
        const device = await devices.open({
          server: gateway.udp,
          firmware: profile,
          deviceId: 20 + position,
          timeScale: 0.05,
          link,
        });
        const image = syntheticJpeg(18_000 + 1111 * position, 20 + position);
        const result = await device.upload(image, { deadlineMs: 30_000 });
        return { device, image, result };
      }),
    );
    for (const { device, image, result } of uploads) {
      console.log(`20% loss, ${device.firmware.name}: ${describeResult(result)}`);
      assert.equal(result.ok, true, describeResult(result));
      assert.deepEqual(result.violations, []);
      assert.ok(device.linkCounters.outgoing.lost > 0 && device.linkCounters.incoming.lost > 0);
      sent.push(sentBy(device, image));
    }
    await assertStored(gateway.storageDir, sent);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dataPacket, FIRMWARE, planPackets, syntheticJpeg, type LinkScript } from '#camera-emulator';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { isAckOf, isAllReceived, isEndOfTransfer } from './support/link-scripts.js';
import { assertStored } from './support/stored-images.js';
import { PRODUCTION_WINDOWS } from './support/windows.js';

/** The network's copy of a datagram, this close behind it. */
const COPY_BEHIND_MS = 1;

/**
 * A reply carries no image identity: a late answer about image k reads, to the camera, as the
 * answer to the same question about image k+1 (issue 16). Firmware timing and the production
 * windows: the gateway's defence is about time (one answer per question, the accept held after
 * the last answer about the previous image).
 */
describe('no stale reply tells a camera "stored" (issue 16)', () => {
  const devices = new DevicePool();
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway(PRODUCTION_WINDOWS);
  });

  after(async () => {
    await devices.closeAll();
    await gateway.close();
  });

  // Issue 16, item 3: image k's op 3 duplicated, its second answer "0 missing" late, image k+1's
  // first op 3 lost (and one of its packets): the camera took the stale answer for image k+1.
  it('generation B: a late second answer to a duplicated end of transfer is not read as the next image stored', async () => {
    const images = [syntheticJpeg(20 * 1452 - 300, 90), syntheticJpeg(21 * 1452 - 300, 91)];
    const plans = images.map((image) => planPackets(image.length, FIRMWARE.B.maxPacketSize, true));
    const lostPacket = dataPacket(99, images[1]!, plans[1]!, 5);
    const script: LinkScript = (datagram, direction, occurrence) => {
      if (isEndOfTransfer(datagram, direction) && occurrence === 0) {
        // Image k's end of transfer arrives twice; image k+1's first is lost.
        return datagram[3] === plans[0]!.packetCount ? [0, COPY_BEHIND_MS] : [];
      }
      if (direction === 'outgoing' && occurrence === 0 && datagram.equals(lostPacket)) return [];
      // A second "0 missing", if there is one, arrives after image k+1's burst.
      if (isAllReceived(datagram, direction) && occurrence === 1) return [40];
      return undefined;
    };
    const device = await devices.open({
      server: gateway.udp,
      firmware: FIRMWARE.B,
      bindAddress: '127.0.0.90',
      link: { script },
    });
    const first = await device.upload(images[0]!, { deadlineMs: 10_000 });
    assert.equal(first.ok, true, describeResult(first));
    assert.equal(device.linkCounters.outgoing.duplicated, 1, 'the end of transfer was duplicated');
    const second = await device.upload(images[1]!, { deadlineMs: 10_000 });
    assert.equal(second.ok, true, describeResult(second));
    await assertStored(
      gateway.storageDir,
      images.map((image) => sentBy(device, image)),
      { others: true },
    );
    assert.ok(
      second.rounds >= 2,
      `the lost end of transfer and packet 5 cost rounds: ${describeResult(second)}`,
    );
  });

  // Issue 16, the same shape for generation A: packet i of image k duplicated and ACKed twice,
  // the second ACK arriving while the camera waits for the ACK of packet i of image k+1, lost.
  it("generation A: a late second ACK of a duplicated packet is not read as the ACK of the next image's packet", async () => {
    const firmware = FIRMWARE.A_ETHERNET;
    const index = 2;
    const images = [syntheticJpeg(6 * 1452 - 100, 92), syntheticJpeg(6 * 1452 - 60, 93)];
    const plans = images.map((image) => planPackets(image.length, firmware.maxPacketSize, true));
    const [duplicated, lost] = images.map((image, position) =>
      dataPacket(99, image, plans[position]!, index),
    );
    const script: LinkScript = (datagram, direction, occurrence) => {
      if (direction === 'outgoing' && occurrence === 0) {
        if (datagram.equals(duplicated!)) return [0, COPY_BEHIND_MS];
        if (datagram.equals(lost!)) return [];
      }
      // Late enough to arrive after image k+1's packet 2 was sent, well within the camera's 5 s wait.
      if (isAckOf(datagram, direction, index) && occurrence === 1) return [1000];
      return undefined;
    };
    const device = await devices.open({
      server: gateway.udp,
      firmware,
      bindAddress: '127.0.0.92',
      link: { script },
    });
    const first = await device.upload(images[0]!, { deadlineMs: 10_000 });
    assert.equal(first.ok, true, describeResult(first));
    const second = await device.upload(images[1]!, { deadlineMs: 15_000 });
    assert.equal(second.ok, true, describeResult(second));
    await assertStored(
      gateway.storageDir,
      images.map((image) => sentBy(device, image)),
      { others: true },
    );
    assert.equal(second.retransmissions, 1, `packet 2 was resent after its wait: ${describeResult(second)}`);
  });
});

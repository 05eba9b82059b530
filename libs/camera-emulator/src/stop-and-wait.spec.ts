import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CameraDevice, type CameraDeviceOptions } from './camera-device.js';
import { FIRMWARE } from './firmware.js';
import type { LinkDirection } from './lossy-link.js';
import { syntheticJpeg } from './synthetic-jpeg.js';
import {
  acceptance,
  dataAnswer,
  FakeServer,
  stopAndWaitServer,
  type FakeHandler,
} from './testing/fake-server.js';

/** WiFi build at 1/50 speed: 100 ms timeouts, 20 ms pauses. */
const FAST = 0.02;

const opened: { close(): Promise<void> }[] = [];
after(() => Promise.all(opened.map((each) => each.close())));

async function setUp(
  handler: FakeHandler,
  options: Partial<CameraDeviceOptions> = {},
): Promise<{ server: FakeServer; device: CameraDevice }> {
  const server = await FakeServer.open(handler);
  const device = await CameraDevice.open({ server: server.endpoint, timeScale: FAST, ...options });
  opened.push(server, device);
  return { server, device };
}

describe('generation A (stop-and-wait)', () => {
  it('sends an 8-byte request, then each packet after the previous ACK, byte for byte', async () => {
    const image = syntheticJpeg(3000);
    let heldFirstAck = false;
    const { server, device } = await setUp((received, fake) => {
      const { frame, from } = received;
      if (frame?.kind === 'data' && frame.index === 0 && !heldFirstAck) {
        heldFirstAck = true;
        setTimeout(() => fake.reply(dataAnswer(99, 0, 0, frame.declaredLength), from), 30);
        return;
      }
      stopAndWaitServer(received, fake);
    });
    const result = await device.upload(image);
    assert.equal(result.ok, true);
    assert.deepEqual([...server.received[0].datagram], [1, 99, 1, 3, 0x00, 0x00, 0x04, 0x00]);
    assert.deepEqual(server.packetIndices(), [0, 1, 2]);
    assert.ok(server.reassemble().equals(image));
    const [first, second] = server.received.filter((each) => each.frame?.kind === 'data');
    assert.ok(second.at - first.at >= 25, 'packet 1 waited for the ACK of packet 0');
    assert.deepEqual(
      {
        packets: result.packets,
        bytes: result.bytes,
        tries: result.requestTries,
        resent: result.retransmissions,
      },
      { packets: 3, bytes: 3000, tries: 1, resent: 0 },
    );
    assert.deepEqual(result.violations, []);
  });

  it('reads a refusal as silence: waits out its timeout, then asks again', async () => {
    let requests = 0;
    const { server, device } = await setUp((received, fake) => {
      const { frame, from } = received;
      if (frame?.kind === 'upload-request' && ++requests === 1) {
        fake.reply([1, 99, 1, 1, frame.packetCount, 0, 0, 4, 0], from);
        return;
      }
      stopAndWaitServer(received, fake);
    });
    const result = await device.upload(syntheticJpeg(500));
    assert.equal(result.ok, true);
    assert.equal(result.requestTries, 2);
    assert.equal(result.timeouts, 1);
    const [first, second] = server.received;
    assert.equal(second.frame?.kind, 'upload-request', 'no packet sent after the refusal');
    // Request timeout 100 ms, then a 20 ms pause (timers may fire a millisecond early).
    assert.ok(second.at - first.at >= 115, `asked again after ${second.at - first.at} ms`);
  });

  it('takes a bad status or a wrong L as a NACK, pauses, and resends the same packet', async () => {
    const answers = [
      (length: number) => dataAnswer(99, 1, 5, length),
      (length: number) => dataAnswer(99, 1, 0, length - 1),
      (length: number) => dataAnswer(99, 1, 0, length),
    ];
    const { server, device } = await setUp((received, fake) => {
      const { frame, from } = received;
      if (frame?.kind === 'data' && frame.index === 1) {
        fake.reply(answers.shift()!(frame.declaredLength), from);
        return;
      }
      stopAndWaitServer(received, fake);
    });
    const result = await device.upload(syntheticJpeg(2500));
    assert.equal(result.ok, true);
    assert.deepEqual(server.packetIndices(), [0, 1, 1, 1, 2]);
    assert.equal(result.nacks, 2);
    assert.equal(result.retransmissions, 2);
    assert.equal(result.timeouts, 0);
  });

  it('ignores replies that are not [1, id, 2, i] while it waits', async () => {
    const { server, device } = await setUp((received, fake) => {
      const { frame, from } = received;
      if (frame?.kind === 'data' && frame.index === 0) {
        fake.reply(dataAnswer(99, 7, 0, frame.declaredLength), from);
        fake.reply(acceptance(99, 2, 1024), from);
        setTimeout(() => fake.reply(dataAnswer(99, 0, 0, frame.declaredLength), from), 10);
        return;
      }
      stopAndWaitServer(received, fake);
    });
    const result = await device.upload(syntheticJpeg(1500));
    assert.equal(result.ok, true);
    assert.deepEqual(server.packetIndices(), [0, 1]);
    assert.deepEqual(result.violations, []);
  });

  it('asks again forever when nobody answers, until the overall deadline', async () => {
    const { server, device } = await setUp(() => undefined);
    const result = await device.upload(syntheticJpeg(1500), { deadlineMs: 400 });
    assert.equal(result.ok, false);
    assert.equal(result.gaveUp, 'deadline');
    assert.ok(result.requestTries >= 3, `${result.requestTries} tries`);
    assert.equal(server.frames('data').length, 0);
  });

  it('announces one packet too many for an exact multiple of P-8 and waits for an ACK it cannot get', async () => {
    const { server, device } = await setUp(stopAndWaitServer);
    const result = await device.upload(syntheticJpeg(2 * 1016), { deadlineMs: 200 });
    assert.equal(server.frames('upload-request')[0].packetCount, 3);
    assert.deepEqual(server.packetIndices(), [0, 1]);
    assert.equal(result.gaveUp, 'exact-multiple-bug');
  });

  it('announces the right count for an exact multiple when the bug is turned off', async () => {
    const { server, device } = await setUp(stopAndWaitServer, { exactMultipleBug: false });
    const result = await device.upload(syntheticJpeg(2 * 1016));
    assert.equal(result.ok, true);
    assert.equal(server.frames('upload-request')[0].packetCount, 2);
  });

  it('sends the same packet again when its ACK is lost, and goes on', async () => {
    let dropped = false;
    const dropFirstAckOf1 = (datagram: Buffer, direction: LinkDirection): boolean =>
      !dropped && direction === 'incoming' && datagram[2] === 2 && datagram[3] === 1 && (dropped = true);
    const { server, device } = await setUp(stopAndWaitServer, { link: { drop: dropFirstAckOf1 } });
    const result = await device.upload(syntheticJpeg(2500));
    assert.equal(result.ok, true);
    assert.deepEqual(server.packetIndices(), [0, 1, 1, 2]);
    assert.deepEqual([result.timeouts, result.retransmissions], [1, 1]);
  });

  it('stops before a given packet, as a restart does', async () => {
    const { server, device } = await setUp(stopAndWaitServer);
    const result = await device.upload(syntheticJpeg(5000), { stopAfterPackets: 2 });
    assert.equal(result.gaveUp, 'stopped');
    assert.deepEqual(server.packetIndices(), [0, 1]);
  });

  it('gets the image through a lossy link, the same way for the same seed', async () => {
    const image = syntheticJpeg(5000);
    const link = { seed: 11, outgoing: { loss: 0.3 }, incoming: { loss: 0.3, duplication: 0.2 } };
    const runs = [];
    for (let run = 0; run < 2; run++) {
      // Generous timeouts (250 ms): a late ACK under load would change the sequence.
      const { server, device } = await setUp(stopAndWaitServer, { link, timeScale: 0.05 });
      const result = await device.upload(image);
      assert.equal(result.ok, true);
      assert.ok(server.reassemble().equals(image));
      runs.push([result.requestTries, result.retransmissions, result.timeouts]);
    }
    assert.deepEqual(runs[0], runs[1]);
    assert.ok(runs[0][1] > 0, 'the link lost something');
  });

  it('records a reply longer than 32 bytes; the WiFi build reads what follows as the next reply', async () => {
    const { device } = await setUp((received, fake) => {
      const { frame, from } = received;
      if (frame?.kind === 'data') {
        const ack = dataAnswer(99, frame.index, 0, frame.declaredLength);
        fake.reply(Buffer.concat([Buffer.alloc(32), ack]), from);
        return;
      }
      stopAndWaitServer(received, fake);
    });
    const result = await device.upload(syntheticJpeg(900));
    assert.equal(result.ok, true);
    assert.equal(result.timeouts, 0);
    assert.match(result.violations[0], /41 bytes exceeds the 32-byte reply buffer/);
  });

  it('Ethernet build: ignores an acceptance that does not come from the server address', async () => {
    const impostor = await FakeServer.open(() => undefined, '127.0.0.2');
    opened.push(impostor);
    let requests = 0;
    const { device } = await setUp(
      (received, fake) => {
        const { frame, from } = received;
        if (frame?.kind === 'upload-request' && ++requests === 1) {
          impostor.reply(acceptance(99, frame.packetCount, frame.maxPacketSize), from);
          return;
        }
        stopAndWaitServer(received, fake);
      },
      { firmware: FIRMWARE.A_ETHERNET },
    );
    const result = await device.upload(syntheticJpeg(1500));
    assert.equal(result.ok, true);
    assert.equal(result.requestTries, 2);
    assert.match(result.violations[0], /not from the server address 127\.0\.0\.1/);
  });
});

describe('seed variant', () => {
  it('sends the image size S in 4 bytes after N and P', async () => {
    const { server, device } = await setUp(stopAndWaitServer, { firmware: FIRMWARE.SEED_ETHERNET });
    const result = await device.upload(syntheticJpeg(3000));
    assert.equal(result.ok, true);
    assert.equal(result.generation, 'seed');
    assert.deepEqual(
      [...server.received[0].datagram],
      [1, 99, 1, 3, 0x00, 0x00, 0x05, 0xb4, 0, 0, 0x0b, 0xb8],
    );
  });
});

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { syntheticJpeg } from '#camera-emulator';
import { CameraOp, DATA_HEADER_BYTES } from '#protocol';
import { LossyRelay } from '../apps/esp-sim/src/index.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { assertStored, readStoredImages } from './support/stored-images.js';
import { describeLines, LOOPBACK_TIMING, runUplink, writeImages } from './support/uplink-command.js';

/**
 * Generation C against the gateway's side of it, the transfer core (docs/protocol.md, generation
 * C; item 6 of the lead's note): a burst transfer is stored only once every packet is in and an
 * op 3 has arrived; the image must match the op 3's CRC-32, or it is discarded (counted
 * `checksum-mismatch`) and the device told k = 255; a gateway without the transfer answers k = 255.
 * Both fail against a gateway that stores a burst as soon as its last packet is in (the core before
 * generation C's side of it).
 */
const PAYLOAD = 1460 - DATA_HEADER_BYTES;

describe('generation C: the gateway verifies the CRC before it acknowledges', () => {
  let gateway: TestGateway;
  let directory: string;

  before(async () => {
    gateway = await startTestGateway();
    directory = await mkdtemp(join(tmpdir(), 'generation-c-core-e2e-'));
  });

  after(async () => {
    await gateway.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('never stores a payload corrupted on the way: the CRC catches it, the device starts again, the image is stored intact', async () => {
    const image = syntheticJpeg(30 * PAYLOAD + 500, 41);
    const corruptedIndex = 17;
    let corrupted = false;
    // The first copy of one data packet gets one payload byte changed; the relay sends it as a
    // datagram of its own, so its UDP length and checksum are right: only the CRC-32 can tell.
    const relay = await LossyRelay.open({
      target: gateway.udp,
      tamper: (datagram, direction) => {
        if (corrupted || direction !== 'outgoing' || datagram[2] !== CameraOp.DataPacket) return undefined;
        if (datagram[3] !== corruptedIndex) return undefined;
        corrupted = true;
        const copy = Buffer.from(datagram);
        copy[DATA_HEADER_BYTES + 100] ^= 0x20;
        return copy;
      },
    });
    try {
      const [path] = await writeImages(directory, [image]);
      const outcome = await runUplink(
        relay.address,
        31,
        [path!],
        [...LOOPBACK_TIMING, '--result-timeout', '0'],
      );
      assert.ok(corrupted, 'the relay corrupted a packet');
      assert.equal(outcome.code, 0, describeLines(outcome));
      assert.ok(
        outcome.lines[0]!.restarts >= 1,
        `told k = 255, the device sent it all again: ${describeLines(outcome)}`,
      );
      await assertStored(gateway.storageDir, [{ image, deviceId: 31, source: relay.upstreamAddress }], {
        others: true,
      });
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort(gateway)}/metrics`)).text();
      assert.match(metrics, /checksum-mismatch"?\}? [1-9]/, 'the mismatch is counted');
    } finally {
      await relay.close();
    }
  });

  it('stores a burst only once its op 3 came, and tells a device it has no transfer for k = 255', async () => {
    const other = await startTestGateway();
    const image = syntheticJpeg(12 * PAYLOAD + 9, 42);
    // Every packet reaches the first gateway; the op 3 and all that follows go to a second one
    // that never heard of the transfer.
    const relay = await LossyRelay.open({
      target: gateway.udp,
      tamper: (datagram, direction) => {
        if (direction === 'outgoing' && datagram[2] === CameraOp.EndOfTransfer) relay.redirect(other.udp);
        return undefined;
      },
    });
    try {
      const [path] = await writeImages(directory, [image]);
      const outcome = await runUplink(
        relay.address,
        32,
        [path!],
        // Waits long enough for a stored image's fsync on a loaded machine: a timeout here can
        // only be a k = 255 not sent.
        [
          '--reply-timeout',
          '2000',
          '--min-reply-timeout',
          '1000',
          '--busy-pause',
          '100',
          '--result-timeout',
          '0',
        ],
      );
      assert.equal(outcome.code, 0, describeLines(outcome));
      const [line] = outcome.lines;
      assert.equal(line!.restarts, 1, describeLines(outcome));
      assert.equal(line!.timeouts, 0, `answered k = 255 at once, not silence: ${describeLines(outcome)}`);
      await assertStored(other.storageDir, [{ image, deviceId: 32, source: relay.upstreamAddress }]);
      const firstGateway = (await readStoredImages(gateway.storageDir)).filter(
        (stored) => stored.sidecar.deviceId === 32,
      );
      assert.deepEqual(firstGateway, [], 'every packet but no op 3: nothing stored');
    } finally {
      await relay.close();
      await other.close();
    }
  });
});

function httpPort(gateway: TestGateway): number {
  return (gateway.app.getHttpServer().address() as AddressInfo).port;
}

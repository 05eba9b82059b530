import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { UploadRequest } from '#protocol';
import { FakeClock } from '../common/fake-clock.js';
import { TransferHarness, type HarnessOptions } from './testing/transfer-harness.js';
import { CAMERA, imageOf, turnsPass, until, Upload } from './testing/uploads.js';

/** Three packets of P = 1024: 1016, 1016 and 100 bytes. */
const THREE = new Upload(imageOf(2 * 1016 + 100));

describe('TransfersService: requests and stop-and-wait uploads', () => {
  let clock: FakeClock;
  let root: string;
  let gateway: TransferHarness;

  async function start(options: HarnessOptions = {}): Promise<TransferHarness> {
    gateway?.stop();
    gateway = await TransferHarness.start(root, clock, options);
    return gateway;
  }

  beforeEach(async () => {
    clock = new FakeClock();
    root = await mkdtemp(join(tmpdir(), 'transfers-service-'));
    await start();
  });

  afterEach(async () => {
    gateway.stop();
    await rm(root, { recursive: true, force: true });
  });

  describe('upload requests', () => {
    it('accepts the deployed firmware’s request with the exact 9-byte reply', async () => {
      const largest = new Upload(imageOf(255 * 1452), 1460);
      assert.deepEqual(await gateway.send(largest.request()), [1, 99, 1, 0, 255, 0, 0, 5, 180]);
      assert.equal(gateway.service.activeTransfers, 1);
    });

    const refusals: [string, Partial<UploadRequest>, number[]][] = [
      ['zero packets', { packetCount: 0 }, [1, 99, 1, 3, 0, 0, 0, 4, 0]],
      ['a packet size below MIN_PACKET_BYTES', { maxPacketSize: 15 }, [1, 99, 1, 3, 3, 0, 0, 0, 15]],
      ['a packet size above MAX_PACKET_BYTES', { maxPacketSize: 1473 }, [1, 99, 1, 3, 3, 0, 0, 5, 193]],
      [
        'an image size two packets cannot carry',
        { packetCount: 2, imageSize: { value: 5000, width: 4 } },
        [1, 99, 1, 3, 2, 0, 0, 4, 0],
      ],
      [
        'an image size one packet would carry',
        { packetCount: 3, imageSize: { value: 2032, width: 4 } },
        [1, 99, 1, 3, 3, 0, 0, 4, 0],
      ],
      [
        'an image larger than MAX_IMAGE_BYTES',
        { packetCount: 200, maxPacketSize: 1024 },
        [1, 99, 1, 2, 200, 0, 0, 4, 0],
      ],
    ];
    for (const [what, overrides, reply] of refusals) {
      it(`refuses ${what}: [${reply.join(', ')}]`, async () => {
        await start({ limits: { maxImageBytes: 100_000 } });
        assert.deepEqual(await gateway.send(THREE.request(overrides)), reply);
        assert.equal(gateway.service.activeTransfers, 0);
      });
    }

    it('refuses busy at MAX_TRANSFERS, whatever the port', async () => {
      await start({ limits: { maxTransfers: 2 } });
      for (const port of [1, 2])
        assert.deepEqual(await gateway.send(THREE.request(), { ...CAMERA, port }), THREE.acceptance());
      assert.deepEqual(
        await gateway.send(THREE.request(), { ...CAMERA, port: 3 }),
        [1, 99, 1, 1, 3, 0, 0, 4, 0],
      );
    });

    it('refuses for storage failure while the disk fails, and accepts again once it is back', async () => {
      const single = new Upload(imageOf(300));
      await gateway.send(single.request());
      await rm(root, { recursive: true });
      await writeFile(root, 'not a directory');
      assert.deepEqual(
        await gateway.sendPastProbe(single.packet(0)),
        [1, 99, 2, 0, 7, 0, 0, 1, 44],
        'never ACKed unstored',
      );
      const other = { ...CAMERA, port: 7 };
      assert.deepEqual(await gateway.send(single.request(), other), [1, 99, 1, 7, 1, 0, 0, 4, 0]);
      await rm(root, { recursive: true, force: true });
      await mkdir(root, { recursive: true });
      clock.advance(1000);
      // This refusal has the disk checked again, off the datagram path.
      await gateway.send(single.request(), other);
      await until(() => gateway.images.failure === undefined, 'writable again');
      assert.deepEqual(
        await gateway.send(single.request(), { ...CAMERA, port: 8 }),
        [1, 99, 1, 0, 1, 0, 0, 4, 0],
      );
    });

    it('refuses busy while draining, and lets a transfer in progress finish', async () => {
      await gateway.send(THREE.request());
      gateway.service.beginDrain();
      assert.equal(gateway.service.acceptingUploads, false);
      assert.deepEqual(
        await gateway.send(THREE.request(), { ...CAMERA, port: 9 }),
        [1, 99, 1, 1, 3, 0, 0, 4, 0],
      );
      await gateway.sendPastProbe(THREE.packet(0));
      await gateway.send(THREE.packet(1));
      assert.deepEqual(await gateway.send(THREE.packet(2)), [1, 99, 2, 2, 0, 0, 0, 0, 100]);
      assert.equal(gateway.stored.length, 1);
    });
  });

  describe('a whole stop-and-wait upload', () => {
    it('ACKs packet 0 after the probe’s silence, the others at once, and the last once the image is on disk', async () => {
      assert.deepEqual(await gateway.send(THREE.request()), [1, 99, 1, 0, 3, 0, 0, 4, 0]);
      let answered = false;
      const ack0 = gateway.send(THREE.packet(0)).then((reply) => ((answered = true), reply));
      clock.advance(39);
      await turnsPass();
      assert.equal(answered, false, 'held while the probe listens');
      clock.advance(1);
      assert.deepEqual(await ack0, [1, 99, 2, 0, 0, 0, 0, 3, 248]);
      assert.deepEqual(await gateway.send(THREE.packet(1)), [1, 99, 2, 1, 0, 0, 0, 3, 248]);
      assert.deepEqual(await gateway.send(THREE.packet(2)), [1, 99, 2, 2, 0, 0, 0, 0, 100]);
      const [stored] = gateway.stored;
      assert.ok(
        (await readFile(stored!.imagePath)).equals(THREE.image),
        'acknowledged means stored, byte-identical',
      );
      assert.equal(stored!.record.sha256, createHash('sha256').update(THREE.image).digest('hex'));
      assert.equal(stored!.record.flowMode, 'stop-and-wait');
      assert.equal(gateway.service.activeTransfers, 0);
      assert.equal(gateway.service.bufferedBytes, 0);
    });

    it('knows the device next time: its next image’s first packet is ACKed without a probe', async () => {
      await gateway.send(THREE.request());
      await gateway.sendPastProbe(THREE.packet(0));
      await gateway.send(THREE.packet(1));
      await gateway.send(THREE.packet(2));
      const next = new Upload(imageOf(500, 2));
      const accept = gateway.send(next.request());
      await turnsPass();
      clock.advance(250);
      assert.deepEqual(await accept, [1, 99, 1, 0, 1, 0, 0, 4, 0]);
      assert.deepEqual(await gateway.send(next.packet(0)), [1, 99, 2, 0, 0, 0, 0, 1, 244]);
      assert.equal(gateway.stored.length, 2);
    });
  });

  describe('repeated requests', () => {
    it('answers a retry while accepted the same way, and a copy the network made not at all', async () => {
      const accept = await gateway.send(THREE.request());
      clock.advance(100);
      assert.equal(await gateway.send(THREE.request()), undefined, 'a copy within DUPLICATE_WINDOW_MS');
      clock.advance(5000);
      assert.deepEqual(await gateway.send(THREE.request()), accept);
      assert.equal(gateway.service.activeTransfers, 1);
      assert.deepEqual(
        [gateway.retransmissions['network-copy'], gateway.retransmissions['duplicate-request']],
        [1, 1],
      );
    });

    it('keeps the transfer when a late copy of the request comes after data', async () => {
      await gateway.send(THREE.request());
      await gateway.sendPastProbe(THREE.packet(0));
      await gateway.send(THREE.packet(1));
      clock.advance(300);
      assert.deepEqual(await gateway.send(THREE.request()), THREE.acceptance());
      assert.deepEqual(await gateway.send(THREE.packet(2)), [1, 99, 2, 2, 0, 0, 0, 0, 100]);
      assert.deepEqual(gateway.seen('aborted'), []);
      assert.ok((await readFile(gateway.stored[0]!.imagePath)).equals(THREE.image));
    });

    it('restarts on the first packet unlike the one held after the same request, keeping the identical ones', async () => {
      const restarted = new Upload(Buffer.concat([THREE.payloadOf(0), imageOf(1016 + 100, 5)]));
      await gateway.send(THREE.request());
      await gateway.sendPastProbe(THREE.packet(0));
      await gateway.send(THREE.packet(1));
      clock.advance(5000);
      await gateway.send(restarted.request());
      for (const index of [0, 1])
        assert.deepEqual(await gateway.send(restarted.packet(index)), restarted.replyTo(index));
      assert.deepEqual(await gateway.send(restarted.packet(2)), [1, 99, 2, 2, 0, 0, 0, 0, 100]);
      assert.deepEqual(gateway.seen('aborted'), ['device-restarted']);
      assert.equal(gateway.stored.length, 1);
      assert.ok((await readFile(gateway.stored[0]!.imagePath)).equals(restarted.image));
    });

    it('takes another request for a restart, accepted ACCEPT_HOLD_MS after the abandoned transfer’s last datagram', async () => {
      await gateway.send(THREE.request());
      const lastDatagramAt = clock.now();
      await gateway.sendPastProbe(THREE.packet(0));
      const other = new Upload(imageOf(5000, 3));
      let answered = false;
      const accept = gateway.send(other.request()).then((reply) => ((answered = true), reply));
      await turnsPass();
      assert.deepEqual(gateway.seen('aborted'), ['device-restarted']);
      clock.advance(lastDatagramAt + 249 - clock.now());
      await turnsPass();
      assert.equal(answered, false, 'what is still in flight from the abandoned image arrives meanwhile');
      clock.advance(1);
      assert.deepEqual(await accept, [1, 99, 1, 0, 5, 0, 0, 4, 0]);
      assert.equal(gateway.service.activeTransfers, 1);
    });
  });

  describe('stop-and-wait ordering', () => {
    beforeEach(async () => {
      await gateway.send(THREE.request());
      await gateway.sendPastProbe(THREE.packet(0));
    });

    it('drops a packet ahead of the next expected without a word', async () => {
      assert.equal(await gateway.send(THREE.packet(2)), undefined);
      assert.equal(gateway.retransmissions['stale-packet'], 1);
      assert.deepEqual(await gateway.send(THREE.packet(1)), [1, 99, 2, 1, 0, 0, 0, 3, 248]);
    });

    it('drops a packet behind with other bytes, and ACKs the last one ACKed again when it comes back', async () => {
      await gateway.send(THREE.packet(1));
      const stale = new Upload(imageOf(THREE.image.length, 9));
      assert.equal(await gateway.send(stale.packet(0)), undefined);
      assert.equal(await gateway.send(stale.packet(1)), undefined);
      clock.advance(5000);
      assert.deepEqual(
        await gateway.send(THREE.packet(1)),
        [1, 99, 2, 1, 0, 0, 0, 3, 248],
        'its ACK was lost',
      );
      assert.equal(gateway.retransmissions['stale-packet'], 2);
    });

    const nacks: [string, () => ReturnType<Upload['packet']>, number[]][] = [
      ['an index not below N', () => THREE.packet(1, { index: 3 }), [1, 99, 2, 3, 6, 0, 0, 3, 248]],
      [
        'a declared length unlike the bytes present',
        () => THREE.packet(1, { declaredLength: 10 }),
        [1, 99, 2, 1, 5, 0, 0, 0, 10],
      ],
      [
        'a short packet that is not the last',
        () => ({ ...THREE.packet(1), payload: Buffer.alloc(10), declaredLength: 10 }),
        [1, 99, 2, 1, 5, 0, 0, 0, 10],
      ],
    ];
    for (const [what, packet, reply] of nacks) {
      it(`NACKs ${what}: [${reply.join(', ')}]`, async () => {
        assert.deepEqual(await gateway.send(packet()), reply);
      });
    }

    it('NACKs a packet of no transfer: no such transfer', async () => {
      assert.deepEqual(
        await gateway.send(THREE.packet(1), { ...CAMERA, port: 5 }),
        [1, 99, 2, 1, 4, 0, 0, 3, 248],
      );
    });
  });
});

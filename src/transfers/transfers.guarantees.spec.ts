import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DataPacket } from '#protocol';
import { FakeClock } from '../common/fake-clock.js';
import { TransferHarness } from './testing/transfer-harness.js';
import { imageOf, turnsPass, until, Upload } from './testing/uploads.js';

/** Three packets of P = 1024: 1016, 1016 and 100 bytes. */
const FIRST = new Upload(imageOf(2 * 1016 + 100, 1));
const SECOND = new Upload(imageOf(2 * 1016 + 100, 2));

describe('TransfersService: what a device is told, and when', () => {
  let clock: FakeClock;
  let root: string;
  let gateway: TransferHarness;

  /** A whole stop-and-wait upload of `upload`; returns when its final ACK left. */
  async function stopAndWait(upload: Upload): Promise<number> {
    assert.deepEqual(await gateway.send(upload.request()), upload.acceptance());
    assert.deepEqual(await gateway.sendPastProbe(upload.packet(0)), upload.replyTo(0));
    for (let index = 1; index < upload.packetCount; index++) {
      assert.deepEqual(await gateway.send(upload.packet(index)), upload.replyTo(index));
    }
    return clock.now();
  }

  /** A whole burst upload; returns when its k = 0 left. */
  async function burst(upload: Upload): Promise<number> {
    assert.deepEqual(await gateway.send(upload.request()), upload.acceptance());
    for (let index = 0; index < upload.packetCount; index++) void gateway.send(upload.packet(index));
    assert.deepEqual(await gateway.send(upload.end()), [1, 99, 3, 0]);
    return clock.now();
  }

  /** The reply to `frame`, with a note of whether it left before `ms` more passed. */
  async function heldFor(reply: Promise<number[] | undefined>, ms: number): Promise<number[] | undefined> {
    let answered = false;
    void reply.then(() => (answered = true));
    await turnsPass();
    clock.advance(ms - 1);
    await turnsPass();
    assert.equal(answered, false, `answered within ${ms - 1} ms`);
    clock.advance(1);
    return reply;
  }

  beforeEach(async () => {
    clock = new FakeClock();
    root = await mkdtemp(join(tmpdir(), 'transfers-guarantees-'));
    gateway = await TransferHarness.start(root, clock);
  });

  afterEach(async () => {
    gateway.stop();
    await rm(root, { recursive: true, force: true });
  });

  describe('the accept hold', () => {
    it('accepts a device’s next image ACCEPT_HOLD_MS after its last k = 0, dropping data that came before the accept', async () => {
      const doneAt = await burst(FIRST);
      clock.advance(10);
      const accept = gateway.send(SECOND.request());
      await turnsPass();
      assert.equal(
        await gateway.send(SECOND.packet(0)),
        undefined,
        'it cannot be the device’s: no accept left yet',
      );
      assert.equal(gateway.retransmissions['stale-packet'], 1);
      assert.deepEqual(await heldFor(accept, doneAt + 250 - clock.now()), SECOND.acceptance());
      for (const index of [1, 2]) void gateway.send(SECOND.packet(index));
      assert.deepEqual(await gateway.send(SECOND.end()), [1, 99, 3, 1, 0], 'the packet dropped was not kept');
    });

    it('accepts a stop-and-wait device’s next image ACCEPT_HOLD_MS after its final ACK', async () => {
      const doneAt = await stopAndWait(FIRST);
      const next = new Upload(imageOf(5000, 3));
      assert.deepEqual(
        await heldFor(gateway.send(next.request()), doneAt + 250 - clock.now()),
        next.acceptance(),
      );
    });
  });

  describe('late copies of a stored image’s packets (a CRC-32 each in its record)', () => {
    const lastWithOtherBytes = (): DataPacket => ({ ...FIRST.packet(2), payload: Buffer.alloc(100, 0xee) });
    const cases: [string, () => DataPacket, number, number[] | undefined][] = [
      [
        'its last packet again, its final ACK lost: ACKed again',
        () => FIRST.packet(2),
        5000,
        [1, 99, 2, 2, 0, 0, 0, 0, 100],
      ],
      [
        'its last packet with other bytes: no such transfer',
        lastWithOtherBytes,
        5000,
        [1, 99, 2, 2, 4, 0, 0, 0, 100],
      ],
      [
        'a packet of its middle: nothing (the device never waits for it)',
        () => FIRST.packet(1),
        5000,
        undefined,
      ],
      [
        'a copy of its last packet within DUPLICATE_WINDOW_MS: nothing (the network’s)',
        () => FIRST.packet(2),
        100,
        undefined,
      ],
    ];
    for (const [what, packet, afterMs, reply] of cases) {
      it(what, async () => {
        await stopAndWait(FIRST);
        clock.advance(afterMs);
        assert.deepEqual(await gateway.send(packet()), reply);
        assert.equal(gateway.stored.length, 1, 'stored once');
      });
    }

    it('stops answering them once the device’s next accept has left', async () => {
      await stopAndWait(FIRST);
      clock.advance(300);
      assert.deepEqual(await gateway.send(SECOND.request()), SECOND.acceptance());
      assert.equal(await gateway.send(FIRST.packet(2)), undefined);
    });

    it('lets a packet like the previous image’s give way to the device’s own', async () => {
      await burst(FIRST);
      clock.advance(300);
      assert.deepEqual(await gateway.send(SECOND.request()), SECOND.acceptance());
      void gateway.send(FIRST.packet(1));
      await turnsPass();
      for (let index = 0; index < SECOND.packetCount; index++) void gateway.send(SECOND.packet(index));
      assert.deepEqual(await gateway.send(SECOND.end()), [1, 99, 3, 0]);
      assert.equal(gateway.retransmissions['replaced-packet'], 1);
      assert.ok((await readFile(gateway.stored[1]!.imagePath)).equals(SECOND.image));
    });
  });

  describe('one answer per question', () => {
    it('does not ACK a network copy of a data packet, and ACKs the device’s own resend', async () => {
      assert.deepEqual(await gateway.send(FIRST.request()), FIRST.acceptance());
      await gateway.sendPastProbe(FIRST.packet(0));
      assert.deepEqual(await gateway.send(FIRST.packet(1)), [1, 99, 2, 1, 0, 0, 0, 3, 248]);
      clock.advance(20);
      assert.equal(await gateway.send(FIRST.packet(1)), undefined);
      clock.advance(5000);
      assert.deepEqual(await gateway.send(FIRST.packet(1)), [1, 99, 2, 1, 0, 0, 0, 3, 248]);
      assert.deepEqual(
        [gateway.retransmissions['network-copy'], gateway.retransmissions['duplicate-packet']],
        [1, 2],
      );
    });
  });

  describe('dormancy instead of expiry', () => {
    it('puts a transfer whose device went quiet to sleep; its next packet wakes it, and is ACKed', async () => {
      assert.deepEqual(await gateway.send(FIRST.request()), FIRST.acceptance());
      await gateway.sendPastProbe(FIRST.packet(0));
      clock.advance(60_000 + 250);
      assert.deepEqual([gateway.service.activeTransfers, gateway.service.dormantTransfers], [0, 1]);
      assert.deepEqual(await gateway.send(FIRST.packet(1)), [1, 99, 2, 1, 0, 0, 0, 3, 248]);
      assert.deepEqual([gateway.service.activeTransfers, gateway.service.dormantTransfers], [1, 0]);
      assert.deepEqual(await gateway.send(FIRST.packet(2)), [1, 99, 2, 2, 0, 0, 0, 0, 100]);
    });

    it('stores a whole burst image whose device went quiet before asking what is missing', async () => {
      assert.deepEqual(await gateway.send(FIRST.request()), FIRST.acceptance());
      for (let index = 0; index < FIRST.packetCount; index++) void gateway.send(FIRST.packet(index));
      await turnsPass();
      clock.advance(60_000 + 250);
      await until(() => gateway.stored.length === 1, 'stored');
      assert.ok((await readFile(gateway.stored[0]!.imagePath)).equals(FIRST.image));
    });

    it('tells the firmware’s exact-multiple bug from a restart when the next request supersedes the transfer', async () => {
      const exact = new Upload(imageOf(3 * 1016, 6));
      assert.deepEqual(await gateway.send(exact.request({ packetCount: 4 })), [1, 99, 1, 0, 4, 0, 0, 4, 0]);
      for (let index = 0; index < 3; index++) void gateway.send(exact.packet(index));
      assert.deepEqual(await gateway.send(exact.end(4)), [1, 99, 3, 1, 3]);
      clock.advance(8000);
      await gateway.send(SECOND.request());
      assert.deepEqual(gateway.seen('aborted'), ['firmware-exact-multiple']);
    });
  });

  it('stores an image each time it is uploaded, even byte-identical to the device’s previous one', async () => {
    await stopAndWait(FIRST);
    clock.advance(300);
    await stopAndWait(FIRST);
    assert.equal(gateway.stored.length, 2);
    assert.notEqual(gateway.stored[0]!.imageId, gateway.stored[1]!.imageId);
    const [day] = (await readdir(root)).filter((name) => !name.startsWith('.'));
    const [device] = await readdir(join(root, day!));
    assert.equal(
      (await readdir(join(root, day!, device!))).filter((name) => name.endsWith('.jpg')).length,
      2,
    );
  });
});

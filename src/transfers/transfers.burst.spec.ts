import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { FakeClock } from '../common/fake-clock.js';
import { TransferHarness, type HarnessOptions } from './testing/transfer-harness.js';
import { be32, imageOf, turnsPass, Upload } from './testing/uploads.js';

const indices = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, at) => from + at);

describe('TransfersService: burst uploads (generation B)', () => {
  let clock: FakeClock;
  let root: string;
  let gateway: TransferHarness;

  async function start(options: HarnessOptions = {}): Promise<void> {
    gateway?.stop();
    gateway = await TransferHarness.start(root, clock, options);
  }

  /**
   * Sends `packets` of `upload` as burst firmware does: all at once, without waiting for replies
   * (the first packet's waits for the flow probe); returns what each got, once it is known.
   */
  async function burst(
    upload: Upload,
    packets: readonly number[] = indices(0, upload.packetCount),
  ): Promise<Promise<number[] | undefined>[]> {
    const replies = packets.map((index) => gateway.send(upload.packet(index)));
    await turnsPass();
    return replies;
  }

  /** A whole image, sent and completed: the end of transfer answered k = 0 once stored. */
  async function uploaded(upload: Upload): Promise<void> {
    assert.deepEqual(await gateway.send(upload.request()), upload.acceptance());
    await burst(upload);
    assert.deepEqual(await gateway.send(upload.end()), [1, 99, 3, 0]);
  }

  beforeEach(async () => {
    clock = new FakeClock();
    root = await mkdtemp(join(tmpdir(), 'transfers-burst-'));
    await start();
  });

  afterEach(async () => {
    gateway.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('sends no per-packet reply, and lists what is missing at the end of transfer', async () => {
    const forty = new Upload(imageOf(40 * 1016));
    await gateway.send(forty.request());
    const replies = await burst(
      forty,
      indices(0, 20).map((n) => 2 * n),
    );
    assert.deepEqual(
      await gateway.send(forty.end()),
      [1, 99, 3, 20, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39],
    );
    replies.push(...(await burst(forty, [1, 3])));
    assert.deepEqual(await Promise.all(replies), Array(22).fill(undefined));
  });

  it('lists 28 missing indices at a time, the rest on the next round', async () => {
    const sixty = new Upload(imageOf(60 * 1016));
    await gateway.send(sixty.request());
    await burst(sixty, [59]);
    assert.deepEqual(await gateway.send(sixty.end()), [1, 99, 3, 28, ...indices(0, 28)]);
    await burst(sixty, indices(0, 28));
    assert.deepEqual(await gateway.send(sixty.end()), [1, 99, 3, 28, ...indices(28, 56)]);
    await burst(sixty, indices(28, 56));
    assert.deepEqual(await gateway.send(sixty.end()), [1, 99, 3, 3, 56, 57, 58]);
  });

  it('cuts a missing list to what the device may still be sent, and keeps silent when not one index fits', async () => {
    const ten = new Upload(imageOf(10 * 1016));
    await gateway.send(ten.request());
    await burst(ten, [9]);
    assert.deepEqual(await gateway.send(ten.end(), undefined, 4 + 5), [1, 99, 3, 5, 0, 1, 2, 3, 4]);
    clock.advance(1000);
    assert.equal(await gateway.send(ten.end(), undefined, 4), undefined);
  });

  it('answers k = 0 only once the image is on disk, byte for byte, and stores it once', async () => {
    const image = new Upload(imageOf(10 * 1016 + 5));
    await gateway.send(image.request());
    await burst(image);
    assert.equal(gateway.stored.length, 0, 'whole, but burst firmware says when it is done');
    const done = gateway.send(image.end());
    assert.deepEqual(await done, [1, 99, 3, 0]);
    assert.equal(gateway.stored.length, 1);
    assert.ok((await readFile(gateway.stored[0]!.imagePath)).equals(image.image));
    assert.equal(gateway.stored[0]!.record.flowMode, 'burst');
    clock.advance(1000);
    assert.deepEqual(
      await gateway.sendPastHold(image.end()),
      [1, 99, 3, 0],
      'the record answers a lost k = 0: a retry after the firmware’s timeout, nothing new from the device since',
    );
    assert.equal(gateway.stored.length, 1);
  });

  it('stores a one-packet image whose end of transfer comes within the probe window', async () => {
    const single = new Upload(imageOf(500));
    await gateway.send(single.request());
    const ack = gateway.send(single.packet(0));
    assert.deepEqual(await gateway.send(single.end()), [1, 99, 3, 0]);
    assert.equal(await ack, undefined, 'a burst device gets no per-packet ACK');
  });

  it('never answers k = 0 for an image not stored, when its last packet comes after the end of transfer in the same turn', async () => {
    await start({ spool: true });
    const five = new Upload(imageOf(5 * 1016));
    await gateway.send(five.request());
    await burst(five, [0, 1, 2]);
    // One turn: packet 3, the end of transfer, then packet 4 that the network delayed behind it.
    const replies = [gateway.send(five.packet(3)), gateway.send(five.end()), gateway.send(five.packet(4))];
    const [, answer] = await Promise.all(replies);
    // Silence (the device asks again, and that answer stores it) or a list is no false "stored".
    if (answer?.[3] === 0)
      assert.equal(gateway.stored.length, 1, `k = 0 with ${gateway.stored.length} images stored`);
    clock.advance(1000);
    assert.deepEqual(await gateway.send(five.end()), [1, 99, 3, 0], 'asked again: stored, then answered');
    assert.equal(gateway.stored.length, 1);
    assert.ok((await readFile(gateway.stored[0]!.imagePath)).equals(five.image));
  });

  describe('one answer per question', () => {
    it('does not answer a copy of the end of transfer after k = 0, and the record keeps silent from then on', async () => {
      const image = new Upload(imageOf(3 * 1016));
      await uploaded(image);
      clock.advance(100);
      assert.equal(await gateway.send(image.end()), undefined, 'a copy within DUPLICATE_WINDOW_MS');
      assert.equal(gateway.retransmissions['network-copy'], 1);
      clock.advance(5000);
      assert.equal(
        await gateway.send(image.end()),
        undefined,
        'the device may be asking about its next image',
      );
    });

    it('answers the same end of transfer again after a missing list: the resends may all have been lost', async () => {
      const four = new Upload(imageOf(4 * 1016));
      await gateway.send(four.request());
      await burst(four, [0, 1]);
      assert.deepEqual(await gateway.send(four.end()), [1, 99, 3, 2, 2, 3]);
      clock.advance(50);
      assert.deepEqual(await gateway.send(four.end()), [1, 99, 3, 2, 2, 3]);
      await burst(four, [2, 3]);
      assert.deepEqual(await gateway.send(four.end()), [1, 99, 3, 0]);
      assert.equal(gateway.stored[0]!.record.endOfTransferRounds, 3);
    });

    it('answers generation C’s end of transfer again however soon: its answer echoes the image’s CRC', async () => {
      const image = new Upload(imageOf(3 * 1016 + 7));
      const checksum = crc32(image.image);
      const end = { ...image.end(), checksum };
      const stored = [1, 99, 3, 0, ...be32(checksum)];
      assert.deepEqual(
        await gateway.send(image.request({ imageSize: { value: image.image.length, width: 4 } })),
        image.acceptance(),
      );
      await burst(image);
      assert.deepEqual(await gateway.send(end), stored);
      clock.advance(100);
      assert.deepEqual(await gateway.send(end), stored, 'its retry 100 ms later, the first k = 0 lost');
      assert.equal(gateway.stored.length, 1);
    });

    it('keeps the record silent once a packet of another image came', async () => {
      const image = new Upload(imageOf(3 * 1016));
      await uploaded(image);
      clock.advance(5000);
      const next = new Upload(imageOf(3 * 1016, 2));
      await gateway.send(next.packet(1));
      clock.advance(1000);
      assert.equal(await gateway.send(next.end()), undefined);
    });
  });
});

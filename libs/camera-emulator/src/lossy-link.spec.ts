import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { LossyLink, type LinkOptions } from './lossy-link.js';

function datagram(index: number): Buffer {
  return Buffer.from([1, 99, 2, index]);
}

/** Carries `count` numbered datagrams outgoing and returns the indices delivered, in order. */
async function carry(options: LinkOptions, count: number, settleMs = 0): Promise<number[]> {
  const link = new LossyLink(options);
  const delivered: number[] = [];
  for (let index = 0; index < count; index++) {
    link.carry('outgoing', datagram(index % 256), (kept) => delivered.push(kept[3]));
  }
  if (settleMs > 0) await delay(settleMs);
  link.close();
  return delivered;
}

describe('LossyLink', () => {
  it('delivers everything at once and in order when perfect', async () => {
    assert.deepEqual(await carry({}, 5), [0, 1, 2, 3, 4]);
  });

  it('loses everything at loss 1', async () => {
    assert.deepEqual(await carry({ outgoing: { loss: 1 } }, 50), []);
  });

  it('loses about the given share, the same ones for the same seed', async () => {
    const first = await carry({ seed: 9, outgoing: { loss: 0.2 } }, 2000);
    const second = await carry({ seed: 9, outgoing: { loss: 0.2 } }, 2000);
    const other = await carry({ seed: 10, outgoing: { loss: 0.2 } }, 2000);
    assert.deepEqual(first, second);
    assert.notDeepEqual(first, other);
    assert.ok(first.length > 1500 && first.length < 1700, `${first.length} delivered`);
  });

  it('delivers two copies at duplication 1', async () => {
    assert.deepEqual(await carry({ outgoing: { duplication: 1 } }, 3), [0, 0, 1, 1, 2, 2]);
  });

  it('reorders datagrams closer together than the jitter', async () => {
    const delivered = await carry({ seed: 5, outgoing: { jitterMs: 30 } }, 40, 80);
    assert.equal(delivered.length, 40);
    assert.notDeepEqual(
      delivered,
      [...delivered].sort((a, b) => a - b),
    );
  });

  it('applies each direction its own conditions', () => {
    const link = new LossyLink({ incoming: { loss: 1 } });
    const outgoing: Buffer[] = [];
    const incoming: Buffer[] = [];
    link.carry('outgoing', datagram(1), (kept) => outgoing.push(kept));
    link.carry('incoming', datagram(2), (kept) => incoming.push(kept));
    assert.equal(outgoing.length, 1);
    assert.equal(incoming.length, 0);
    assert.deepEqual(link.counters.incoming, { offered: 1, lost: 1, duplicated: 0, delivered: 0 });
  });

  it('drops exactly the datagrams the drop filter picks', async () => {
    const delivered = await carry({ drop: (bytes) => bytes[3] === 2 }, 4);
    assert.deepEqual(delivered, [0, 1, 3]);
  });

  it('delivers the copies a script asks for, at its delays, and loses what it returns no copy for', async () => {
    const link = new LossyLink({
      script: (bytes) => (bytes[3] === 1 ? [0, 15] : bytes[3] === 2 ? [] : undefined),
    });
    const delivered: number[] = [];
    for (const index of [0, 1, 2, 3])
      link.carry('outgoing', datagram(index), (kept) => delivered.push(kept[3]!));
    assert.deepEqual(delivered, [0, 1, 3], 'at once: the first copy of 1, not 2');
    await delay(40);
    assert.deepEqual(delivered, [0, 1, 3, 1], 'the second copy of 1, later');
    assert.deepEqual(link.counters.outgoing, { offered: 4, lost: 1, duplicated: 1, delivered: 4 });
    link.close();
  });

  it('holds a scripted copy until its promise settles, and drops it if the link closed first', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const link = new LossyLink({ script: (bytes) => (bytes[3] === 1 ? [released] : undefined) });
    const delivered: number[] = [];
    link.carry('outgoing', datagram(1), (kept) => delivered.push(kept[3]!));
    link.carry('outgoing', datagram(2), (kept) => delivered.push(kept[3]!));
    await delay(10);
    assert.deepEqual(delivered, [2], 'held');
    release();
    await released;
    assert.deepEqual(delivered, [2, 1], 'delivered once released');

    const closing = new LossyLink({ script: () => [released.then(() => delay(5))] });
    closing.carry('outgoing', datagram(3), (kept) => delivered.push(kept[3]!));
    closing.close();
    await delay(20);
    assert.deepEqual(delivered, [2, 1], 'not after close');
  });

  it('tells a script how many identical datagrams came before, per direction', () => {
    const seen: [string, number][] = [];
    const link = new LossyLink({
      script: (bytes, direction, occurrence) => {
        seen.push([`${direction} ${bytes[3]}`, occurrence]);
        return undefined;
      },
    });
    for (const index of [5, 5, 6, 5]) link.carry('outgoing', datagram(index), () => undefined);
    link.carry('incoming', datagram(5), () => undefined);
    assert.deepEqual(seen, [
      ['outgoing 5', 0],
      ['outgoing 5', 1],
      ['outgoing 6', 0],
      ['outgoing 5', 2],
      ['incoming 5', 0],
    ]);
  });

  it('leaves the random conditions as they were for what the script does not take', async () => {
    const conditions = { seed: 9, outgoing: { loss: 0.3, duplication: 0.2 } };
    const plain = await carry(conditions, 500);
    const scripted = await carry({ ...conditions, script: () => undefined }, 500);
    assert.deepEqual(scripted, plain);
  });

  it('cancels delayed deliveries on close', async () => {
    const link = new LossyLink({ outgoing: { delayMs: 20 } });
    const delivered: Buffer[] = [];
    link.carry('outgoing', datagram(0), (kept) => delivered.push(kept));
    link.close();
    await delay(40);
    assert.equal(delivered.length, 0);
  });

  it('refuses a probability outside 0..1 or a negative delay', () => {
    assert.throws(() => new LossyLink({ outgoing: { loss: 1.5 } }), RangeError);
    assert.throws(() => new LossyLink({ incoming: { jitterMs: -1 } }), RangeError);
  });
});

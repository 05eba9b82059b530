import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { LossyLink } from '#camera-emulator';
import { deviceLink } from './device-link.js';

const PERFECT = { loss: 0, duplicate: 0, reorder: 0, reorderDelayMs: 30 };

/** Carries `count` numbered datagrams outgoing; returns the indices delivered at once, then all of them after `settleMs`. */
async function carry(
  link: LossyLink,
  count: number,
  settleMs: number,
): Promise<{ atOnce: number[]; all: number[] }> {
  const all: number[] = [];
  for (let index = 0; index < count; index++) {
    link.carry('outgoing', Buffer.from([1, 99, 2, index]), (kept) => all.push(kept[3]!));
  }
  const atOnce = [...all];
  await delay(settleMs);
  link.close();
  return { atOnce, all };
}

describe('deviceLink', () => {
  it('is a perfect link (none at all) when nothing is asked', () => {
    assert.equal(deviceLink(PERFECT, 1), undefined);
  });

  it('applies loss and duplication each way', () => {
    const link = deviceLink({ ...PERFECT, loss: 0.05, duplicate: 0.02 }, 3)!;
    assert.deepEqual(link.outgoing, { loss: 0.05, duplication: 0.02 });
    assert.deepEqual(link.incoming, { loss: 0.05, duplication: 0.02 });
    assert.equal(link.seed, 3);
  });

  it('reorder 1: every datagram is held back a random delay below the bound, so the order changes', async () => {
    const { atOnce, all } = await carry(
      new LossyLink(deviceLink({ ...PERFECT, reorder: 1, reorderDelayMs: 20 }, 5)),
      50,
      60,
    );
    assert.deepEqual(atOnce, []);
    assert.deepEqual(
      [...all].sort((a, b) => a - b),
      [...Array(50).keys()],
    );
    assert.notDeepEqual(all, [...Array(50).keys()]);
  });

  it('reorder p: about that share is held back, the others go at once, the same ones for the same seed', async () => {
    const run = (seed: number) =>
      carry(new LossyLink(deviceLink({ ...PERFECT, reorder: 0.2 }, seed)), 1000, 80);
    const first = await run(11);
    const second = await run(11);
    assert.deepEqual(first.atOnce, second.atOnce);
    const held = 1000 - first.atOnce.length;
    assert.ok(held > 150 && held < 250, `${held} held back`);
    assert.equal(first.all.length, 1000);
  });
});

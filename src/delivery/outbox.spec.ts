import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Outbox, type OutboxItem, type OutboxOptions } from './outbox.js';

const T0 = Date.UTC(2026, 10, 27, 8);

function item(n: number, analysedAtMs = T0 + n * 1000): OutboxItem {
  return {
    key: `${n % 2}_10.0.0.1`,
    payload: { imageId: `img-${n}`, n },
    analysedAt: new Date(analysedAtMs).toISOString(),
    imageId: `img-${n}`,
  };
}

describe('Outbox: results waiting for delivery, on disk', () => {
  let directory: string;
  const options = (overrides: Partial<OutboxOptions> = {}): OutboxOptions => ({
    maxBytes: 1024 * 1024,
    sinks: ['mqtt', 'webhook'],
    reorderWindowMs: 60_000,
    now: () => T0,
    ...overrides,
  });

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'outbox-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('gives each sink the entries in order and keeps one until every sink confirmed it', async () => {
    const outbox = await Outbox.open(directory, options());
    outbox.append([item(1), item(2), item(3)]);
    assert.deepEqual(
      outbox.take(0, 10).map((entry) => entry.seq),
      [1, 2, 3],
    );
    // Out of order: the cursor moves only over a contiguous run.
    outbox.confirm('mqtt', 2);
    assert.equal(outbox.cursor('mqtt'), 0);
    outbox.confirm('mqtt', 1);
    outbox.confirm('mqtt', 3);
    assert.deepEqual([outbox.pending('mqtt'), outbox.pending('webhook')], [0, 3]);
    assert.equal(outbox.take(outbox.cursor('webhook'), 10).length, 3);
    for (const seq of [1, 2, 3]) outbox.confirm('webhook', seq);
    assert.equal(outbox.bytes, 0);
    await outbox.close();
  });

  it('is read back by the next process: each sink goes on after what it confirmed', async () => {
    const first = await Outbox.open(directory, options());
    first.append([item(1), item(2), item(3)]);
    first.confirm('mqtt', 1);
    first.confirm('webhook', 1);
    first.confirm('webhook', 2);
    await first.close();
    const second = await Outbox.open(directory, options());
    assert.deepEqual(
      second.take(second.cursor('mqtt'), 10).map((entry) => entry.payload),
      [JSON.stringify(item(2).payload), JSON.stringify(item(3).payload)],
    );
    assert.deepEqual([second.pending('mqtt'), second.pending('webhook')], [2, 1]);
    second.append([item(4)]);
    assert.equal(second.take(3, 10)[0]!.seq, 4);
    await second.close();
  });

  it('survives a kill mid-write: a torn last line is the end of the log, and the mark shows what is missing', async () => {
    const first = await Outbox.open(directory, options());
    first.append([item(1), item(2), item(3)]);
    await first.flush();
    // No close: the process dies. Then the last line is cut short, as by a crash in the write.
    const [segment] = (await readdir(directory)).filter((name) => name.endsWith('.log'));
    const text = await readFile(join(directory, segment!), 'utf8');
    await writeFile(join(directory, segment!), text.slice(0, text.length - 10));
    const second = await Outbox.open(directory, options());
    assert.deepEqual(
      second.take(0, 10).map((entry) => entry.seq),
      [1, 2],
    );
    assert.deepEqual([...second.recoveryMark.imageIds].sort(), ['img-1', 'img-2']);
    assert.ok(second.recoveryMark.since <= item(3).analysedAt, 'img-3 is looked for');
    await second.close();
  });

  it('looks for nothing analysed before it was first opened', async () => {
    const outbox = await Outbox.open(directory, options({ now: () => T0 + 5000 }));
    assert.equal(outbox.recoveryMark.since, new Date(T0 + 5000).toISOString());
    await outbox.close();
  });

  it('drops the oldest when full, counting what each sink lost', async () => {
    const dropped: [string, number][] = [];
    const size = JSON.stringify(item(1).payload).length;
    const outbox = await Outbox.open(directory, options({ maxBytes: size * 3 }));
    outbox.on('dropped', (sink, count) => dropped.push([sink, count]));
    outbox.append([item(1), item(2), item(3)]);
    outbox.confirm('mqtt', 1);
    outbox.append([item(4), item(5)]);
    assert.deepEqual(
      outbox.take(0, 10).map((entry) => entry.seq),
      [3, 4, 5],
    );
    assert.deepEqual(dropped, [
      ['mqtt', 1],
      ['webhook', 2],
    ]);
    assert.deepEqual([outbox.cursor('mqtt'), outbox.cursor('webhook')], [2, 2]);
    await outbox.close();
  });

  it('starts a sink new to the outbox with what comes next', async () => {
    const first = await Outbox.open(directory, options({ sinks: ['mqtt'] }));
    first.append([item(1)]);
    await first.close();
    const second = await Outbox.open(directory, options());
    assert.deepEqual([second.pending('mqtt'), second.pending('webhook')], [1, 0]);
    await second.close();
  });
});

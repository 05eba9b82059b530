import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHIP_BUFFER_BYTES, CHIP_HEADER_BYTES } from './firmware.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { ReplyReader } from './reply-reader.js';
import { UploadStopped } from './upload-stopped.js';

const chip = { capacityBytes: CHIP_BUFFER_BYTES, overheadBytes: CHIP_HEADER_BYTES };
const never = new AbortController().signal;

describe('ReceiveBuffer', () => {
  it('gives the oldest datagram first', async () => {
    const buffer = new ReceiveBuffer(chip);
    buffer.push(Buffer.from([1]));
    buffer.push(Buffer.from([2]));
    assert.deepEqual([...((await buffer.read(0, never)) ?? [])], [1]);
    assert.deepEqual([...((await buffer.read(0, never)) ?? [])], [2]);
    assert.equal(await buffer.read(0, never), undefined);
  });

  it('drops what does not fit 8 KB, each datagram costing its length plus an 8-byte header', () => {
    const buffer = new ReceiveBuffer(chip);
    // 32-byte replies cost 40 bytes each: 204 fit in 8192 (8160 bytes), the 205th does not.
    const kept = Array.from({ length: 210 }, () => buffer.push(Buffer.alloc(32))).filter(Boolean).length;
    assert.equal(kept, 204);
    assert.equal(buffer.dropped, 6);
    assert.equal(buffer.bufferedBytes, 8160);
    // A 24-byte datagram (32 with its header) still fits the 32 bytes left.
    assert.equal(buffer.push(Buffer.alloc(24)), true);
    assert.equal(buffer.push(Buffer.alloc(1)), false);
  });

  it('frees the room of what was read', async () => {
    const buffer = new ReceiveBuffer(chip);
    while (buffer.push(Buffer.alloc(32)));
    await buffer.read(0, never);
    assert.equal(buffer.push(Buffer.alloc(32)), true);
  });

  it('hands a datagram straight to a waiting reader, at no cost', async () => {
    const buffer = new ReceiveBuffer({ capacityBytes: 0, overheadBytes: CHIP_HEADER_BYTES });
    const reading = buffer.read(1000, never);
    assert.equal(buffer.push(Buffer.from([7])), true);
    assert.deepEqual([...((await reading) ?? [])], [7]);
  });

  it('resolves undefined when nothing arrives in time', async () => {
    const buffer = new ReceiveBuffer(chip);
    const startedAt = performance.now();
    assert.equal(await buffer.read(30, never), undefined);
    assert.ok(performance.now() - startedAt >= 25);
  });

  it('rejects with the stop when the signal aborts', async () => {
    const buffer = new ReceiveBuffer(chip);
    const controller = new AbortController();
    const reading = buffer.read(10_000, controller.signal);
    controller.abort(new UploadStopped('deadline'));
    await assert.rejects(
      reading,
      (error: unknown) => error instanceof UploadStopped && error.reason === 'deadline',
    );
  });
});

describe('ReplyReader', () => {
  const unlimited = { capacityBytes: Infinity, overheadBytes: 0 };

  it('zero-pads a short reply to the 32-byte buffer', async () => {
    const buffer = new ReceiveBuffer(unlimited);
    buffer.push(Buffer.from([1, 99, 3, 0]));
    const reply = await new ReplyReader(buffer, 'truncate-32').read(0, never);
    assert.equal(reply?.length, 4);
    assert.deepEqual([...(reply?.bytes ?? [])], [1, 99, 3, 0, ...Array<number>(28).fill(0)]);
  });

  it('keeps the first 32 bytes of a longer reply (Ethernet builds)', async () => {
    const buffer = new ReceiveBuffer(unlimited);
    buffer.push(Buffer.alloc(40, 5));
    const reader = new ReplyReader(buffer, 'truncate-32');
    assert.equal((await reader.read(0, never))?.length, 32);
    assert.equal(await reader.read(0, never), undefined);
  });

  it('takes the rest of a longer reply as the next one (WiFi build)', async () => {
    const buffer = new ReceiveBuffer(unlimited);
    buffer.push(Buffer.concat([Buffer.alloc(32, 5), Buffer.from([1, 99, 2, 0, 0])]));
    const reader = new ReplyReader(buffer, 'split-32');
    assert.equal((await reader.read(0, never))?.length, 32);
    const next = await reader.read(0, never);
    assert.equal(next?.length, 5);
    assert.deepEqual([...(next?.bytes.subarray(0, 6) ?? [])], [1, 99, 2, 0, 0, 0]);
  });
});

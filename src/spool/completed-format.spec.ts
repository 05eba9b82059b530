import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompletedTransfer } from '../common/transfer-model.js';
import { decodeCompletedLog, encodeCompletion } from './completed-format.js';

const completion: CompletedTransfer = {
  transferId: 'a1b2c3d4e5f6',
  clientType: 1,
  deviceId: 99,
  remote: { address: '10.0.0.7', port: 44444 },
  packetCount: 3,
  maxPacketSize: 1024,
  imageSize: null,
  acceptedAt: 1,
  flowMode: 'stop-and-wait',
  imageId: '2026-01-01/99_10.0.0.7/000000000-a1b2c3d4e5f6',
  storedAt: 5,
  packetDigests: Uint32Array.from([0xdeadbeef, 1, 0xffffffff]),
  imageChecksum: 0x12345678,
};

describe('completed log format', () => {
  it('reads back what it wrote (packet digests included), up to a record cut short, and says where that was', () => {
    const first = encodeCompletion(completion);
    const two = Buffer.concat([first, encodeCompletion({ ...completion, storedAt: 6 })]);
    assert.deepEqual(decodeCompletedLog(two), {
      completions: [completion, { ...completion, storedAt: 6 }],
      validBytes: two.length,
      unknownRecords: 0,
    });
    const cut = decodeCompletedLog(two.subarray(0, two.length - 3));
    assert.deepEqual(cut.completions, [completion]);
    assert.equal(cut.validBytes, first.length);
  });

  it('skips a record that checks out but is of a shape it does not know, and reads on', () => {
    const unknown = encodeCompletion({ ...completion, packetDigests: Uint32Array.from([1]) });
    const contents = decodeCompletedLog(Buffer.concat([unknown, encodeCompletion(completion)]));
    assert.deepEqual(contents.completions, [completion]);
    assert.equal(contents.unknownRecords, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAnalysisResult, isUploadAccepted, judgeDataReply, readMissingList } from './reply-checks.js';

/** A zero-padded 32-byte read buffer holding `bytes`. */
function read(bytes: number[]): Buffer {
  const buffer = Buffer.alloc(32);
  Buffer.from(bytes).copy(buffer);
  return buffer;
}

describe('isUploadAccepted', () => {
  // N = 30, P = 1460 = 0x000005b4.
  it('takes [1, id, 1, 0, N, P] echoing its request', () => {
    assert.equal(isUploadAccepted(read([1, 99, 1, 0, 30, 0x00, 0x00, 0x05, 0xb4]), 99, 30, 1460), true);
  });

  it('compares only the first three bytes of P', () => {
    assert.equal(isUploadAccepted(read([1, 99, 1, 0, 30, 0x00, 0x00, 0x05, 0x00]), 99, 30, 1460), true);
    assert.equal(isUploadAccepted(read([1, 99, 1, 0, 30, 0x00, 0x00, 0x04, 0xb4]), 99, 30, 1460), false);
  });

  it('reads a refusal as no acceptance', () => {
    assert.equal(isUploadAccepted(read([1, 99, 1, 1, 30, 0x00, 0x00, 0x05, 0xb4]), 99, 30, 1460), false);
  });

  it('rejects another device, another N, another op', () => {
    assert.equal(isUploadAccepted(read([1, 98, 1, 0, 30, 0x00, 0x00, 0x05, 0xb4]), 99, 30, 1460), false);
    assert.equal(isUploadAccepted(read([1, 99, 1, 0, 31, 0x00, 0x00, 0x05, 0xb4]), 99, 30, 1460), false);
    assert.equal(isUploadAccepted(read([1, 99, 2, 0, 30, 0x00, 0x00, 0x05, 0xb4]), 99, 30, 1460), false);
  });
});

describe('judgeDataReply', () => {
  it('takes status 0 and its own L as an ACK', () => {
    assert.equal(judgeDataReply(read([1, 99, 2, 4, 0, 0, 0, 0x03, 0xf8]), 99, 4, 1016), 'ack');
  });

  it('takes a non-zero status or another L as a NACK', () => {
    assert.equal(judgeDataReply(read([1, 99, 2, 4, 7, 0, 0, 0x03, 0xf8]), 99, 4, 1016), 'nack');
    assert.equal(judgeDataReply(read([1, 99, 2, 4, 0, 0, 0, 0x03, 0xf7]), 99, 4, 1016), 'nack');
    // A 5-byte reply reads as L = 0 from the zeroed buffer.
    assert.equal(judgeDataReply(read([1, 99, 2, 4, 0]), 99, 4, 1016), 'nack');
  });

  it('ignores replies for another packet, device or op', () => {
    assert.equal(judgeDataReply(read([1, 99, 2, 3, 0, 0, 0, 0x03, 0xf8]), 99, 4, 1016), 'unrelated');
    assert.equal(judgeDataReply(read([1, 98, 2, 4, 0, 0, 0, 0x03, 0xf8]), 99, 4, 1016), 'unrelated');
    assert.equal(judgeDataReply(read([1, 99, 1, 0, 4, 0, 0, 0x03, 0xf8]), 99, 4, 1016), 'unrelated');
  });
});

describe('readMissingList', () => {
  it('reads k and the indices after it', () => {
    assert.deepEqual(readMissingList(read([1, 99, 3, 2, 5, 17]), 99), { count: 2, indices: [5, 17] });
    assert.deepEqual(readMissingList(read([1, 99, 3, 0]), 99), { count: 0, indices: [] });
  });

  it('reads a short list as padded with index 0, as the zeroed buffer does', () => {
    assert.deepEqual(readMissingList(read([1, 99, 3, 2, 5]), 99), { count: 2, indices: [5, 0] });
  });

  it('reads no more than the 28 indices the buffer holds', () => {
    assert.equal(readMissingList(read([1, 99, 3, 40]), 99)?.indices.length, 28);
  });

  it('is undefined for anything but a missing list of this device', () => {
    assert.equal(readMissingList(read([1, 99, 2, 0]), 99), undefined);
    assert.equal(readMissingList(read([1, 98, 3, 0]), 99), undefined);
  });
});

describe('isAnalysisResult', () => {
  it('recognises [1, id, 4, …]', () => {
    assert.equal(isAnalysisResult(read([1, 99, 4, 0, 0, 1, 0x27, 0x10]), 99), true);
    assert.equal(isAnalysisResult(read([1, 98, 4, 0, 0, 1, 0x27, 0x10]), 99), false);
  });
});

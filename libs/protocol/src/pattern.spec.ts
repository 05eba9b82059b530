import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDeviceFrame } from './decode.js';
import { DEVICE_FRAME_PATTERNS, patternOf } from './pattern.js';

describe('patternOf', () => {
  it('routes a frame by its kind', () => {
    const decoded = decodeDeviceFrame(Buffer.from([1, 99, 3, 4]));
    assert.ok(decoded.ok);
    assert.equal(patternOf(decoded.frame), 'end-of-transfer');
  });

  it('lists every device frame pattern once', () => {
    assert.deepEqual([...DEVICE_FRAME_PATTERNS].sort(), [
      'confirm',
      'data',
      'end-of-transfer',
      'ping',
      'upload-request',
    ]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from './checksum.js';

/**
 * Check values of CRC-32/ISO-HDLC (the catalogue's, and Python's zlib.crc32 for the others);
 * firmware/test/test_crc32.c checks the C library against the same ones.
 */
const VECTORS: ReadonlyArray<[string, Buffer, number]> = [
  ['no bytes', Buffer.alloc(0), 0x0000_0000],
  ['"123456789" (the catalogue check value)', Buffer.from('123456789', 'latin1'), 0xcbf4_3926],
  ['one zero byte', Buffer.from([0x00]), 0xd202_ef8d],
  [
    '"The quick brown fox jumps over the lazy dog"',
    Buffer.from('The quick brown fox jumps over the lazy dog', 'latin1'),
    0x414f_a339,
  ],
  ['32 bytes of 0xff', Buffer.alloc(32, 0xff), 0xff6c_ab0b],
  ['a JPEG start-of-image marker', Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 0x4ff5_a26f],
];

describe('crc32, the checksum generation C sends with its image', () => {
  for (const [name, bytes, expected] of VECTORS) {
    it(`gives 0x${expected.toString(16).padStart(8, '0')} for ${name}`, () => {
      assert.equal(crc32(bytes), expected);
    });
  }

  it('changes when any single byte of an image changes', () => {
    const image = Buffer.from(Array.from({ length: 1452 * 3 }, (_, i) => (i * 31) & 0xff));
    const original = crc32(image);
    for (const offset of [0, 1451, 1452, image.length - 1]) {
      const corrupted = Buffer.from(image);
      corrupted[offset] ^= 0x01;
      assert.notEqual(crc32(corrupted), original, `byte ${offset} flipped`);
    }
  });
});

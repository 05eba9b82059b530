/** The end-to-end check of generation C: one definition for the gateway, the tests and the tools. */
import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 of `bytes`: the ISO-HDLC polynomial (reflected 0xEDB88320, initial and final value
 * 0xFFFFFFFF), zlib's `crc32`, the checksum generation C sends in its op 3. An unsigned 32-bit
 * integer; the wire carries it big-endian.
 */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes);
}

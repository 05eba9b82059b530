import type { DatagramDecoder, DecodeResult } from '../datagram-decoder.js';

const SEPARATOR = 0x7c; // '|'

/**
 * Test support: a readable codec for transport tests. `echo|abc` routes to pattern `echo` with
 * the payload bytes `abc` (a Buffer). Rejects an empty datagram (`empty`), one without `|`
 * (`no-separator`) and one with nothing before it (`no-pattern`).
 */
export class PipeDecoder implements DatagramDecoder {
  decode(datagram: Buffer): DecodeResult {
    if (datagram.length === 0) return { ok: false, reason: 'empty' };
    const separator = datagram.indexOf(SEPARATOR);
    if (separator === -1) return { ok: false, reason: 'no-separator', detail: `${datagram.length} bytes` };
    if (separator === 0) return { ok: false, reason: 'no-pattern' };
    return {
      ok: true,
      pattern: datagram.toString('latin1', 0, separator),
      data: datagram.subarray(separator + 1),
    };
  }
}

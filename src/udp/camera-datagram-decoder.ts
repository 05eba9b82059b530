import { decodeDeviceFrame, patternOf } from '#protocol';
import type { DatagramDecoder, DecodeResult } from '#udp-transport';
import type { DatagramCounts } from './datagram-counts.js';

/**
 * Plugs the camera protocol into the generic UDP transport: each frame kind is a message
 * pattern. Counts what it decodes, by pattern, for the metrics.
 */
export function cameraDatagramDecoder(received: DatagramCounts): DatagramDecoder {
  return {
    decode(datagram: Buffer): DecodeResult {
      const decoded = decodeDeviceFrame(datagram);
      if (!decoded.ok) return decoded;
      const pattern = patternOf(decoded.frame);
      received.count(pattern);
      return { ok: true, pattern, data: decoded.frame };
    },
  };
}

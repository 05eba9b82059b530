/**
 * Convenience constructors for the server's replies: each echoes the fields the deployed
 * firmware compares, taken from the frame it answers, so that a handler cannot get them wrong.
 */
import { PROTOCOL_VERSION, type ReplyStatus } from './codes.js';
import type {
  DataPacket,
  DataReply,
  EndOfTransfer,
  MissingReport,
  PingReply,
  PingRequest,
  UploadReply,
  UploadRequest,
} from './frames.js';
import { MAX_MISSING_PER_REPLY } from './limits.js';

/**
 * The answer to a ping: this server's `PROTOCOL_VERSION` and its current `PingFlags`.
 *
 * @param flags bit set of `PingFlags`.
 */
export function pingReply(request: PingRequest, flags: number): PingReply {
  return { kind: 'ping-reply', deviceId: request.deviceId, protocolVersion: PROTOCOL_VERSION, flags };
}

/**
 * The answer to an upload request, echoing N and P: generation A accepts a reply only when its
 * bytes 4-7 equal `[N, first three bytes of P]` of its own request.
 */
export function uploadReply(request: UploadRequest, status: ReplyStatus): UploadReply {
  return {
    kind: 'upload-reply',
    deviceId: request.deviceId,
    status,
    packetCount: request.packetCount,
    maxPacketSize: request.maxPacketSize,
  };
}

/**
 * The ACK (status `Ok`) or NACK of a data packet, echoing its index and its declared length L:
 * generation A compares bytes 5-8 with the L it sent, not with the bytes that arrived.
 */
export function dataReply(packet: DataPacket, status: ReplyStatus): DataReply {
  return {
    kind: 'data-reply',
    deviceId: packet.deviceId,
    index: packet.index,
    status,
    length: packet.declaredLength,
  };
}

/**
 * The answer to an end of transfer: the first `MAX_MISSING_PER_REPLY` (28) of the `missing`
 * indices, in the order given; the device asks again for the rest after resending these.
 * An empty list tells the device the image is complete.
 */
export function missingReport(request: EndOfTransfer, missing: readonly number[]): MissingReport {
  return {
    kind: 'missing-report',
    deviceId: request.deviceId,
    missing: missing.slice(0, MAX_MISSING_PER_REPLY),
  };
}

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
import { MAX_MISSING_PER_REPLY, MAX_MISSING_WITH_CHECKSUM } from './limits.js';

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
 *
 * A checksum-bearing op 3 (generation C) gets its checksum echoed after the indices, so at most
 * `MAX_MISSING_WITH_CHECKSUM` (24) of them; an empty list then also says the stored image matched
 * that checksum. A 4-byte op 3 (generation B) never gets the checksum form.
 */
export function missingReport(request: EndOfTransfer, missing: readonly number[]): MissingReport {
  const { deviceId, checksum } = request;
  if (checksum === undefined) {
    return { kind: 'missing-report', deviceId, missing: missing.slice(0, MAX_MISSING_PER_REPLY) };
  }
  return { kind: 'missing-report', deviceId, missing: missing.slice(0, MAX_MISSING_WITH_CHECKSUM), checksum };
}

/**
 * The answer `[1, id, 3, 255, CRC(4)]` to a checksum-bearing op 3 the gateway has no transfer
 * for (expired, lost, or assembled into an image that did not match the checksum): the device
 * sends its request and whole burst again.
 *
 * @throws RangeError for a 4-byte op 3: generation B does not know k = 255.
 */
export function restartTransfer(request: EndOfTransfer): MissingReport {
  const { deviceId, checksum } = request;
  if (checksum === undefined) {
    throw new RangeError('only a checksum-bearing end of transfer (generation C) can be told to start again');
  }
  return { kind: 'missing-report', deviceId, missing: [], checksum, restart: true };
}

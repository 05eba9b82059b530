/**
 * The byte comparisons the firmware makes on a reply, as pure functions of the 32-byte read
 * buffer (zero-padded). They look at exactly the bytes the firmware looks at, nothing more: a
 * reply that passes here is taken by a real device, whatever else it contains.
 */
import { CameraOp, ClientType, MAX_MISSING_PER_REPLY, ReplyStatus } from '#protocol';

/** Bytes 0-2 of every camera reply: client type, device id, op. */
function hasHeader(reply: Buffer, deviceId: number, op: CameraOp): boolean {
  return reply[0] === ClientType.CableCamera && reply[1] === deviceId && reply[2] === op;
}

/**
 * Whether the firmware takes `reply` as the acceptance of its upload request: bytes 0-3 equal
 * `[1, id, 1, 0]` and bytes 4-7 equal `[N, first three bytes of P]` (big-endian). The last byte
 * of P is not compared; a refusal (status ≠ 0) is not an acceptance, so it reads as silence.
 */
export function isUploadAccepted(
  reply: Buffer,
  deviceId: number,
  packetCount: number,
  maxPacketSize: number,
): boolean {
  return (
    hasHeader(reply, deviceId, CameraOp.UploadRequest) &&
    reply[3] === ReplyStatus.Ok &&
    reply[4] === packetCount &&
    reply[5] === (maxPacketSize >>> 24) % 256 &&
    reply[6] === (maxPacketSize >>> 16) % 256 &&
    reply[7] === (maxPacketSize >>> 8) % 256
  );
}

/** What generation A makes of a reply while it waits for packet `index`'s. */
export type DataReplyVerdict = 'ack' | 'nack' | 'unrelated';

/**
 * Generation A's reading of a reply to data packet `index` of declared length `length`: bytes 0-3
 * must be `[1, id, 2, i]`, or the reply is unrelated (ignored, the wait goes on); then it is an
 * ACK only when byte 4 is 0 and bytes 5-8 equal L, a NACK otherwise.
 */
export function judgeDataReply(
  reply: Buffer,
  deviceId: number,
  index: number,
  length: number,
): DataReplyVerdict {
  if (!hasHeader(reply, deviceId, CameraOp.DataPacket) || reply[3] !== index) return 'unrelated';
  return reply[4] === ReplyStatus.Ok && reply.readUInt32BE(5) === length >>> 0 ? 'ack' : 'nack';
}

/** The missing list as generation B reads it. */
export interface MissingList {
  /** k, byte 3: how many indices the server says it lists. */
  readonly count: number;
  /** The indices read: bytes 4.., at most the 28 the 32-byte buffer holds. */
  readonly indices: readonly number[];
}

/**
 * Generation B's reading of a reply to its end of transfer: bytes 0-2 `[1, id, 3]`, k in byte 3,
 * then k indices (from the zero-padded buffer: a short reply lists index 0 for its missing bytes).
 * Undefined when the reply is not a missing list for this device.
 */
export function readMissingList(reply: Buffer, deviceId: number): MissingList | undefined {
  if (!hasHeader(reply, deviceId, CameraOp.EndOfTransfer)) return undefined;
  const count = reply[3];
  const listed = Math.min(count, MAX_MISSING_PER_REPLY, reply.length - 4);
  return { count, indices: [...reply.subarray(4, 4 + listed)] };
}

/** Whether a reply is the op-4 analysis result for this device (bytes 0-2 `[1, id, 4]`). */
export function isAnalysisResult(reply: Buffer, deviceId: number): boolean {
  return hasHeader(reply, deviceId, CameraOp.AnalysisResult);
}

import { DATA_HEADER_BYTES, ReplyStatus } from '#protocol';
import type { TransferParameters } from '../common/transfer-model.js';
import type { TransferLimits } from './transfer-limits.js';

/**
 * Checks an upload request's own fields against the limits (capacity is the store's call).
 * Returns `ReplyStatus.Ok` or the reason to refuse it.
 */
export function checkUploadParameters(parameters: TransferParameters, limits: TransferLimits): ReplyStatus {
  const { packetCount, maxPacketSize, imageSize } = parameters;
  if (packetCount < 1) return ReplyStatus.BadParameters;
  if (maxPacketSize < limits.minPacketBytes || maxPacketSize > limits.maxPacketBytes) {
    return ReplyStatus.BadParameters;
  }
  const payloadPerPacket = maxPacketSize - DATA_HEADER_BYTES;
  if (imageSize !== null) {
    const fitsInPackets =
      imageSize > payloadPerPacket * (packetCount - 1) && imageSize <= payloadPerPacket * packetCount;
    if (!fitsInPackets) return ReplyStatus.BadParameters;
  }
  const announcedBytes = imageSize ?? payloadPerPacket * packetCount;
  if (announcedBytes > limits.maxImageBytes) return ReplyStatus.TooLarge;
  return ReplyStatus.Ok;
}

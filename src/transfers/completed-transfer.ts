import { crc32 } from 'node:zlib';
import {
  payloadPerPacket,
  type CompletedTransfer,
  type TransferParameters,
} from '../common/transfer-model.js';

/** CRC-32 of each of the image's packets, cut as the transfer cut it. */
export function packetDigestsOf(descriptor: TransferParameters, image: Buffer): Uint32Array {
  const payload = payloadPerPacket(descriptor);
  const digests = new Uint32Array(descriptor.packetCount);
  for (let index = 0; index < descriptor.packetCount; index++) {
    digests[index] = crc32(image.subarray(index * payload, Math.min(image.length, (index + 1) * payload)));
  }
  return digests;
}

/** Whether `payload` is, by its CRC-32 and length, packet `index` of the completed transfer. */
export function isPacketOf(record: CompletedTransfer, index: number, payload: Buffer): boolean {
  if (index >= record.packetCount) return false;
  const payloadSize = payloadPerPacket(record);
  if (index < record.packetCount - 1 && payload.length !== payloadSize) return false;
  return record.packetDigests[index] === crc32(payload);
}

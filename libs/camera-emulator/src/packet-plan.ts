import { DATA_HEADER_BYTES, encodeDeviceFrame, MAX_PACKET_COUNT } from '#protocol';

/** How the firmware cuts an image into packets. */
export interface PacketPlan {
  /** S, the image's size. */
  readonly imageSize: number;
  /** P, data header included. */
  readonly maxPacketSize: number;
  /** P-8: the payload of every packet but the last. */
  readonly payloadSize: number;
  /** N as the firmware announces it (one too many when the exact-multiple bug strikes). */
  readonly packetCount: number;
  /** Packets the firmware actually has to send: N, or N-1 when the bug strikes. */
  readonly realPackets: number;
  /** True when the image size is an exact multiple of P-8 and the bug is emulated. */
  readonly exactMultipleBug: boolean;
}

/**
 * Plans an image's packets. The deployed firmware computes N as `floor(S / (P-8)) + 1`: right
 * unless S is an exact multiple of P-8, where N counts one packet more, which is never sent.
 * With `exactMultipleBug` off, N is `ceil(S / (P-8))`.
 *
 * @throws RangeError when the image is empty, P leaves no room for payload, or N would not fit
 * its byte (more than 255 packets).
 */
export function planPackets(imageSize: number, maxPacketSize: number, exactMultipleBug: boolean): PacketPlan {
  if (!Number.isSafeInteger(imageSize) || imageSize < 1) {
    throw new RangeError(`an image has at least 1 byte, got ${String(imageSize)}`);
  }
  const payloadSize = maxPacketSize - DATA_HEADER_BYTES;
  if (!Number.isSafeInteger(maxPacketSize) || payloadSize < 1) {
    throw new RangeError(
      `P must leave room for payload after the ${DATA_HEADER_BYTES}-byte header, got ${String(maxPacketSize)}`,
    );
  }
  const bug = exactMultipleBug && imageSize % payloadSize === 0;
  const realPackets = Math.ceil(imageSize / payloadSize);
  const packetCount = bug ? realPackets + 1 : realPackets;
  if (packetCount > MAX_PACKET_COUNT) {
    throw new RangeError(
      `${imageSize} bytes at P = ${maxPacketSize} need ${packetCount} packets; the count travels in one byte (≤ ${MAX_PACKET_COUNT})`,
    );
  }
  return { imageSize, maxPacketSize, payloadSize, packetCount, realPackets, exactMultipleBug: bug };
}

/** Largest image the firmware can send at packet size `maxPacketSize` (255 packets, the bug avoided). */
export function maxImageSize(maxPacketSize: number): number {
  return MAX_PACKET_COUNT * (maxPacketSize - DATA_HEADER_BYTES);
}

/** Whether packet `index` exists in the image (the phantom last packet of the bug does not). */
export function isRealPacket(plan: PacketPlan, index: number): boolean {
  return index < plan.realPackets;
}

/**
 * Data packet `index` as the firmware sends it: `[1, id, 2, i, L(4), payload]`, payload taken at
 * `i × (P-8)`. An index past the image (a server listing one it was never sent) makes the
 * firmware send P-8 bytes from beyond the image's end: here, zeros.
 */
export function dataPacket(deviceId: number, image: Buffer, plan: PacketPlan, index: number): Buffer {
  const offset = index * plan.payloadSize;
  const payload =
    offset < image.length
      ? image.subarray(offset, Math.min(offset + plan.payloadSize, image.length))
      : Buffer.alloc(plan.payloadSize);
  return encodeDeviceFrame({ kind: 'data', deviceId, index, declaredLength: payload.length, payload });
}

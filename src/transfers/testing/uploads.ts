import type { DataPacket, EndOfTransfer, UploadRequest } from '#protocol';
import type { RemoteEndpoint } from '../../common/transfer-model.js';

/**
 * Test support for the transfer specs, not used by the gateway: images and the frames a camera
 * sends for them, as the codec would have decoded them.
 */

/** The deployed firmware's default device id. */
export const DEVICE_ID = 99;

/** A camera on the line, sending from the firmware's port. */
export const CAMERA: RemoteEndpoint = Object.freeze({ address: '10.1.2.3', port: 44444 });

/** `size` bytes that differ from one `seed` to another (the transfer layer never looks inside). */
export function imageOf(size: number, seed = 1): Buffer {
  const image = Buffer.alloc(size);
  for (let offset = 0; offset < size; offset++)
    image[offset] = (offset * 31 + seed * 7 + (offset >> 8)) & 0xff;
  return image;
}

/** One image as a camera sends it: its upload request, its data packets, its end of transfer. */
export class Upload {
  readonly packetCount: number;
  readonly payloadSize: number;

  constructor(
    readonly image: Buffer,
    readonly maxPacketSize = 1024,
    readonly deviceId = DEVICE_ID,
    /** Whether the request carries S (generation C does; deployed firmware does not). */
    readonly announcesSize = false,
  ) {
    this.payloadSize = maxPacketSize - 8;
    this.packetCount = Math.ceil(image.length / this.payloadSize);
  }

  get last(): number {
    return this.packetCount - 1;
  }

  request(overrides: Partial<UploadRequest> = {}): UploadRequest {
    return {
      kind: 'upload-request',
      deviceId: this.deviceId,
      packetCount: this.packetCount,
      maxPacketSize: this.maxPacketSize,
      imageSize: this.announcesSize ? { value: this.image.length, width: 4 } : undefined,
      ...overrides,
    };
  }

  /** Packet `index`, in a buffer of its own (as a datagram would be). */
  packet(index: number, overrides: Partial<DataPacket> = {}): DataPacket {
    const payload = Buffer.from(this.payloadOf(index));
    return {
      kind: 'data',
      deviceId: this.deviceId,
      index,
      declaredLength: payload.length,
      payload,
      ...overrides,
    };
  }

  payloadOf(index: number): Buffer {
    return this.image.subarray(index * this.payloadSize, (index + 1) * this.payloadSize);
  }

  end(packetCount = this.packetCount): EndOfTransfer {
    return { kind: 'end-of-transfer', deviceId: this.deviceId, packetCount };
  }

  /** The 9-byte ACK (status 0) or NACK of packet `index`, as the firmware reads it. */
  replyTo(index: number, status = 0): number[] {
    const length = this.payloadOf(index).length;
    return [1, this.deviceId, 2, index, status, ...be32(length)];
  }

  /** The 9-byte answer to the request: status, N, P. */
  acceptance(status = 0): number[] {
    return [1, this.deviceId, 1, status, this.packetCount, ...be32(this.maxPacketSize)];
  }
}

/** A 32-bit value as the four big-endian bytes the protocol sends it in. */
export function be32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** Lets the current event-loop turn end (and with it an `EndOfTurn`), `turns` times. */
export async function turnsPass(turns = 2): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits, in real time and at most five seconds, for work off the datagram path (a disk write). */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let wait = 0; wait < 500 && !condition(); wait++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`still not ${what} after 5 s`);
}

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decodeDeviceFrame, type DeviceFrame } from '#protocol';
import type { Endpoint } from '../device-socket.js';

/** A datagram the fake server received, decoded when it could be. */
export interface Received {
  readonly datagram: Buffer;
  readonly frame: DeviceFrame | undefined;
  readonly from: RemoteInfo;
  /** `performance.now()` at arrival. */
  readonly at: number;
}

/** Decides what the fake server does with each datagram; `server.reply` answers it. */
export type FakeHandler = (received: Received, server: FakeServer) => void;

/**
 * Test support, not exported by the package index: a scriptable UDP "server" for the emulator's
 * own specs, recording everything it receives. The real gateway is tested in `test/`.
 */
export class FakeServer {
  readonly received: Received[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly handler: FakeHandler,
  ) {
    socket.on('message', (datagram, from) => {
      const decoded = decodeDeviceFrame(datagram);
      const received = {
        datagram,
        frame: decoded.ok ? decoded.frame : undefined,
        from,
        at: performance.now(),
      };
      this.received.push(received);
      this.handler(received, this);
    });
  }

  static open(handler: FakeHandler, address = '127.0.0.1'): Promise<FakeServer> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve(new FakeServer(socket, handler));
      });
    });
  }

  get endpoint(): Endpoint {
    const { address, port } = this.socket.address();
    return { address, port };
  }

  /** Sends `bytes` to `to` (a literal array or a buffer). */
  reply(bytes: readonly number[] | Buffer, to: RemoteInfo): void {
    this.socket.send(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), to.port, to.address);
  }

  /** The frames received so far, of one kind. */
  frames<Kind extends DeviceFrame['kind']>(kind: Kind): Extract<DeviceFrame, { kind: Kind }>[] {
    return this.received
      .map((received) => received.frame)
      .filter((frame): frame is Extract<DeviceFrame, { kind: Kind }> => frame?.kind === kind);
  }

  /** Indices of the data packets received, in arrival order. */
  packetIndices(): number[] {
    return this.frames('data').map((packet) => packet.index);
  }

  /** The image rebuilt from the first copy of each data packet received (every index from 0 present). */
  reassemble(): Buffer {
    const slices = new Map<number, Buffer>();
    for (const packet of this.frames('data'))
      if (!slices.has(packet.index)) slices.set(packet.index, packet.payload);
    const ordered = [...slices.entries()].sort(([a], [b]) => a - b);
    ordered.forEach(([index], position) => {
      if (index !== position) throw new Error(`packet ${position} missing`);
    });
    return Buffer.concat(ordered.map(([, payload]) => Buffer.from(payload)));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** `[1, id, 1, 0, N, P(4)]`: accepts an upload request. */
export function acceptance(deviceId: number, packetCount: number, maxPacketSize: number): Buffer {
  const reply = Buffer.from([1, deviceId, 1, 0, packetCount, 0, 0, 0, 0]);
  reply.writeUInt32BE(maxPacketSize, 5);
  return reply;
}

/** `[1, id, 2, i, status, L(4)]`: ACK (status 0) or NACK of a data packet. */
export function dataAnswer(deviceId: number, index: number, status: number, length: number): Buffer {
  const reply = Buffer.from([1, deviceId, 2, index, status, 0, 0, 0, 0]);
  reply.writeUInt32BE(length, 5);
  return reply;
}

/**
 * A handler that behaves like a correct server for generation A: accepts every request and ACKs
 * every data packet.
 */
export const stopAndWaitServer: FakeHandler = ({ frame, from }, server) => {
  if (frame?.kind === 'upload-request') {
    server.reply(acceptance(frame.deviceId, frame.packetCount, frame.maxPacketSize), from);
  } else if (frame?.kind === 'data') {
    server.reply(dataAnswer(frame.deviceId, frame.index, 0, frame.declaredLength), from);
  }
};

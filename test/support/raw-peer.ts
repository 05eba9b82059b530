import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Endpoint } from '#camera-emulator';

/** A datagram a raw peer received. */
export interface PeerDatagram {
  readonly datagram: Buffer;
  readonly from: RemoteInfo;
}

/**
 * A bare UDP socket for the traffic no firmware sends (hostile requests, floods, pings): sends
 * bytes as given and keeps every datagram it receives.
 */
export class RawPeer {
  readonly inbox: PeerDatagram[] = [];
  /** Datagrams received, kept or not. */
  received = 0;
  /** Length of the longest datagram received. */
  longest = 0;
  /** Set to false to count what arrives without keeping it (a flood's replies). */
  keep = true;
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('message', (datagram, from) => {
      this.received++;
      this.longest = Math.max(this.longest, datagram.length);
      if (this.keep) this.inbox.push({ datagram, from });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static open(address = '127.0.0.1'): Promise<RawPeer> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve(new RawPeer(socket));
      });
    });
  }

  send(bytes: readonly number[] | Buffer, to: Endpoint): Promise<void> {
    const datagram = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    return new Promise((resolve) => this.socket.send(datagram, to.port, to.address, () => resolve()));
  }

  /** Waits until the inbox holds `count` datagrams or `timeoutMs` passes; returns the inbox. */
  async waitFor(count: number, timeoutMs: number): Promise<PeerDatagram[]> {
    const deadline = performance.now() + timeoutMs;
    while (this.inbox.length < count && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - performance.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.inbox;
  }

  /** Sends `bytes` and returns the first datagram received after it, or undefined after `timeoutMs`. */
  async ask(bytes: readonly number[] | Buffer, to: Endpoint, timeoutMs = 1000): Promise<Buffer | undefined> {
    const before = this.inbox.length;
    await this.send(bytes, to);
    const inbox = await this.waitFor(before + 1, timeoutMs);
    return inbox[before]?.datagram;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

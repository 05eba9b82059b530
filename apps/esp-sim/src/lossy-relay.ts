import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  LossyLink,
  type Endpoint,
  type LinkCounters,
  type LinkDirection,
  type LinkOptions,
} from '#camera-emulator';

/**
 * Rewrites a datagram the link delivers: the bytes to deliver instead, or `undefined` to leave it.
 * The relay sends what it returns as a datagram of its own, so its UDP length and checksum are
 * right: the gateway sees a well-formed datagram whose payload changed on the way.
 */
export type Tamper = (datagram: Buffer, direction: LinkDirection) => Buffer | undefined;

export interface LossyRelayOptions {
  /** The gateway. */
  readonly target: Endpoint;
  /** Where the device sends: this address, any free port (default 127.0.0.1). */
  readonly listenAddress?: string;
  /**
   * Local address of the socket that carries the device's traffic to the gateway: the address the
   * gateway sees the device at and files its images under (default 127.0.0.1, any free port).
   */
  readonly upstreamAddress?: string;
  /**
   * What the link does to the datagrams, both ways (undefined: a perfect link). Given as is to a
   * `LossyLink`: a `deviceLink` draws its conditions per datagram.
   */
  readonly link?: LinkOptions;
  readonly tamper?: Tamper;
}

/**
 * A UDP relay for one device that owns its socket (the C library's command), so that it runs over
 * the same seeded `LossyLink` as the emulated firmware: every datagram, each way, may be lost,
 * duplicated, delayed (reordered) and rewritten by `tamper`. Towards the gateway the device has one
 * address for the relay's life, whichever local port each run of the program sends from; replies go
 * to the address the device last sent from.
 */
export class LossyRelay {
  readonly link: LossyLink;
  private device: Endpoint | undefined;
  private target: Endpoint;
  private closed = false;

  private constructor(
    private readonly front: Socket,
    private readonly upstream: Socket,
    private readonly options: LossyRelayOptions,
  ) {
    this.link = new LossyLink(options.link);
    this.target = options.target;
    front.on('message', (datagram, from) => this.fromDevice(datagram, from));
    upstream.on('message', (datagram) => this.carry('incoming', datagram));
    // A gateway that is down answers with ICMP: on an unconnected socket nothing to do.
    front.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }

  static async open(options: LossyRelayOptions): Promise<LossyRelay> {
    const front = await bound(options.listenAddress ?? '127.0.0.1');
    try {
      return new LossyRelay(front, await bound(options.upstreamAddress ?? '127.0.0.1'), options);
    } catch (error) {
      front.close();
      throw error;
    }
  }

  /** Where the device sends. */
  get address(): Endpoint {
    const { address, port } = this.front.address();
    return { address, port };
  }

  /** Where the gateway sees the device. */
  get upstreamAddress(): Endpoint {
    const { address, port } = this.upstream.address();
    return { address, port };
  }

  get counters(): Readonly<Record<LinkDirection, Readonly<LinkCounters>>> {
    return this.link.counters;
  }

  /**
   * Sends the device's next datagrams to another gateway, from the same address: a failover, or a
   * gateway that never heard of the transfer in progress.
   */
  redirect(target: Endpoint): void {
    this.target = target;
  }

  /** Stops relaying, cancels every delayed datagram and closes both sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.link.close();
    await Promise.all(
      [this.front, this.upstream].map(
        (socket) => new Promise<void>((resolve) => socket.close(() => resolve())),
      ),
    );
  }

  private fromDevice(datagram: Buffer, from: RemoteInfo): void {
    this.device = { address: from.address, port: from.port };
    this.carry('outgoing', datagram);
  }

  private carry(direction: LinkDirection, datagram: Buffer): void {
    if (this.closed) return;
    this.link.carry(direction, datagram, (delivered) => {
      const device = this.device;
      if (this.closed || device === undefined) return;
      const bytes = this.options.tamper?.(delivered, direction) ?? delivered;
      if (direction === 'outgoing') this.upstream.send(bytes, this.target.port, this.target.address);
      else this.front.send(bytes, device.port, device.address);
    });
  }
}

/**
 * Receive buffer of each relay socket: a whole burst of 255 packets (372 KB) arrives at once and
 * must not overflow the system's default (208 KB on Linux), a loss that is the relay's, not the
 * link's. The kernel caps it at net.core.rmem_max.
 */
const RELAY_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

function bound(address: string): Promise<Socket> {
  const socket = createSocket({
    type: address.includes(':') ? 'udp6' : 'udp4',
    recvBufferSize: RELAY_RECEIVE_BUFFER_BYTES,
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

import { createSocket, type Socket } from 'node:dgram';
import { LossyLink, type LinkOptions } from './lossy-link.js';

/** A UDP address and port. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Where a device socket binds and what link it sits behind. */
export interface DeviceSocketOptions {
  /** Local address to bind; any 127.x.y.z works on Linux loopback. */
  readonly bindAddress: string;
  /** Local port; 0 lets the system choose (the firmware uses 44444, one device a host). */
  readonly bindPort: number;
  readonly server: Endpoint;
  readonly link?: LinkOptions;
}

/** Called with every datagram that made it through the link, and where it came from. */
export type DatagramListener = (datagram: Buffer, from: Endpoint) => void;

/**
 * What a device sends and receives through: its own UDP socket ({@link DeviceSocket}), or a port
 * of a simulated network. Sends cross the transport's link on their way out, received datagrams
 * on their way in.
 */
export interface DeviceTransport {
  /** The address and port the device sends from. */
  readonly local: Endpoint;
  readonly link: LossyLink;
  /** Resolves once the copies the link sends at once are handed over; never rejects. */
  send(datagram: Buffer): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Opens a device's transport; `listener` gets every datagram that crosses the incoming link. */
export type TransportFactory = (
  link: LinkOptions | undefined,
  listener: DatagramListener,
) => Promise<DeviceTransport>;

/**
 * One device's own UDP socket behind its {@link LossyLink}: what it sends crosses the link on its
 * way out, what it receives crosses it on its way in. Send failures are counted, never thrown (a
 * device does not learn that a datagram was lost).
 */
export class DeviceSocket implements DeviceTransport {
  readonly link: LossyLink;
  private sendFailures = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly server: Endpoint,
    link: LossyLink,
    readonly local: Endpoint,
  ) {
    this.link = link;
  }

  /** Binds a socket; `listener` gets every datagram that crosses the incoming link. */
  static open(options: DeviceSocketOptions, listener: DatagramListener): Promise<DeviceSocket> {
    const socket = createSocket(options.bindAddress.includes(':') ? 'udp6' : 'udp4');
    const link = new LossyLink(options.link);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.bindPort, options.bindAddress, () => {
        socket.off('error', reject);
        // A device ignores socket errors (ICMP unreachable and the like): it just hears nothing.
        socket.on('error', () => undefined);
        socket.on('message', (datagram, from) =>
          link.carry('incoming', datagram, (kept) =>
            listener(kept, { address: from.address, port: from.port }),
          ),
        );
        const bound = socket.address();
        resolve(new DeviceSocket(socket, options.server, link, { address: bound.address, port: bound.port }));
      });
    });
  }

  /** Datagrams the system refused to send. */
  get failedSends(): number {
    return this.sendFailures;
  }

  /**
   * Sends `datagram` to the server through the link. Resolves once the system took the copies the
   * link sends at once (delayed copies go later); never rejects.
   */
  send(datagram: Buffer): Promise<void> {
    if (this.closing) return Promise.resolve();
    const sent: Promise<void>[] = [];
    this.link.carry('outgoing', datagram, (kept) => {
      sent.push(this.transmit(kept));
    });
    return sent.length === 0 ? Promise.resolve() : Promise.all(sent).then(() => undefined);
  }

  /** Closes the link (pending delayed copies are dropped) and the socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.link.close();
      this.socket.close(() => resolve());
    });
    return this.closing;
  }

  private transmit(datagram: Buffer): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.send(datagram, this.server.port, this.server.address, (error) => {
        if (error) this.sendFailures++;
        resolve();
      });
    });
  }
}

import type { DatagramListener, DeviceTransport, Endpoint, TransportFactory } from '../device-socket.js';
import { LossyLink, type LinkOptions } from '../lossy-link.js';
import type { VirtualTime } from './virtual-time.js';

/** The server side of a {@link VirtualNetwork}: gets every datagram a device's link let through. */
export type ServerListener = (datagram: Buffer, from: Endpoint) => void;

/** Told of every datagram the network delivers, each way (for tracing a run). */
export type NetworkObserver = (
  direction: 'to-server' | 'to-device',
  datagram: Buffer,
  device: Endpoint,
) => void;

function keyOf(endpoint: Endpoint): string {
  return `${endpoint.address}:${endpoint.port}`;
}

/**
 * A simulated network between devices and one server, in {@link VirtualTime}: each device port
 * sits behind its own {@link LossyLink} (loss, duplication, delay, reordering both ways, timed by
 * the virtual clock), and every datagram takes at least `latencyMs` each way. Datagrams to an
 * address nobody holds are lost, as on a real network. A port can be given up and taken again
 * (a device moving away, another taking its address).
 */
export class VirtualNetwork {
  private readonly ports = new Map<string, { link: LossyLink; listener: DatagramListener }>();
  private server: ServerListener | undefined;
  /** Set to trace what the network delivers. */
  observer: NetworkObserver | undefined;

  constructor(
    private readonly time: VirtualTime,
    readonly serverEndpoint: Endpoint,
    private readonly latencyMs = 0.2,
  ) {}

  /** The server's receiving end; datagrams sent while there is none (the server is down) are lost. */
  listen(listener: ServerListener | undefined): void {
    this.server = listener;
  }

  /** A {@link TransportFactory} that gives a device the port `local` on this network. */
  transportAt(local: Endpoint): TransportFactory {
    return (link, listener) => Promise.resolve(this.attach(local, link, listener));
  }

  /** The server sends `datagram` to `to`: it crosses that device's incoming link. */
  sendToDevice(datagram: Buffer, to: Endpoint): void {
    const port = this.ports.get(keyOf(to));
    if (!port) return;
    this.later(() =>
      port.link.carry('incoming', datagram, (kept) => {
        this.observer?.('to-device', kept, to);
        port.listener(kept, this.serverEndpoint);
      }),
    );
  }

  private attach(
    local: Endpoint,
    linkOptions: LinkOptions | undefined,
    listener: DatagramListener,
  ): DeviceTransport {
    const key = keyOf(local);
    if (this.ports.has(key)) throw new Error(`${key} is already taken on the virtual network`);
    const link = new LossyLink({ ...linkOptions, clock: this.time });
    const entry = { link, listener };
    this.ports.set(key, entry);
    let closed = false;
    return {
      local,
      link,
      send: (datagram) => {
        if (closed) return Promise.resolve();
        link.carry('outgoing', datagram, (kept) =>
          this.later(() => {
            this.observer?.('to-server', kept, local);
            this.server?.(kept, local);
          }),
        );
        return Promise.resolve();
      },
      close: () => {
        if (!closed) {
          closed = true;
          link.close();
          if (this.ports.get(key) === entry) this.ports.delete(key);
        }
        return Promise.resolve();
      },
    };
  }

  private later(run: () => void): void {
    this.time.setTimeout(run, this.latencyMs);
  }
}

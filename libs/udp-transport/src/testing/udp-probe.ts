import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** A datagram the probe received, and where from. */
export interface ProbeDatagram {
  readonly datagram: Buffer;
  readonly remote: RemoteInfo;
}

/**
 * Test support, not exported by the package index: a client socket that sends datagrams and waits
 * for answers, or for their absence, with timeouts so that a test never hangs.
 */
export class UdpProbe {
  private readonly inbox: ProbeDatagram[] = [];
  private waiter: ((received: ProbeDatagram) => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('message', (datagram, remote) => {
      const received = { datagram, remote };
      if (this.waiter !== undefined) this.waiter(received);
      else this.inbox.push(received);
    });
  }

  /** A probe bound to an ephemeral port of `address`. */
  static open(address = '127.0.0.1'): Promise<UdpProbe> {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve(new UdpProbe(socket));
      });
    });
  }

  /** Sends `bytes` to `address`:`port`. */
  send(bytes: Uint8Array | string, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, port, address, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  /** The next datagram received; rejects when none arrives within `timeoutMs`. */
  receive(timeoutMs = 1000): Promise<ProbeDatagram> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no datagram within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (received) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(received);
      };
    });
  }

  /** Sends `bytes` and returns the next datagram received. */
  async ask(bytes: Uint8Array | string, port: number, address = '127.0.0.1'): Promise<ProbeDatagram> {
    await this.send(bytes, port, address);
    return this.receive();
  }

  /** Resolves after `ms` milliseconds if nothing arrived; rejects with what arrived otherwise. */
  async expectSilence(ms = 150): Promise<void> {
    const received = await this.receive(ms).catch(() => undefined);
    if (received !== undefined) {
      throw new Error(`expected silence, received ${received.datagram.toString('hex')}`);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

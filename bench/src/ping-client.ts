import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '#camera-emulator';
import { ClientType, SpecialOp } from '#protocol';

/** Round trips of a series of pings, and how many got no answer. */
export interface PingSeries {
  /** Round-trip times of the answered pings, in milliseconds, in the order sent. */
  readonly rttMs: number[];
  /** When each answered ping was sent (`performance.now()`), same order as `rttMs`. */
  readonly sentAt: number[];
  readonly lost: number;
}

/** Device ids travel in one byte; the pinger cycles through them to tell a late reply from the current one. */
const ID_COUNT = 256;

/**
 * Sends pings `[0, id, 0]` one after the other and times each `[0, id, 0, version, flags]` reply:
 * the round trip through the gateway's event loop. One socket; not thread-safe across series.
 */
export class PingClient {
  private nextId = 0;
  private waiting: { id: number; resolve: (at: number | undefined) => void } | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly server: Endpoint,
  ) {
    socket.on('message', (reply) => {
      const at = performance.now();
      const waiting = this.waiting;
      if (
        waiting &&
        reply.length >= 5 &&
        reply[0] === ClientType.Special &&
        reply[1] === waiting.id &&
        reply[2] === SpecialOp.Ping
      ) {
        this.waiting = undefined;
        waiting.resolve(at);
      }
    });
  }

  static open(server: Endpoint, bindAddress = '127.0.0.1'): Promise<PingClient> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, bindAddress, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve(new PingClient(socket, server));
      });
    });
  }

  /** One ping: its round trip in milliseconds, or undefined when no reply came within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<number | undefined> {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) % ID_COUNT;
    const answered = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => {
        if (this.waiting?.id === id) this.waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiting = {
        id,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
    });
    const sentAt = performance.now();
    this.socket.send(
      Buffer.from([ClientType.Special, id, SpecialOp.Ping]),
      this.server.port,
      this.server.address,
    );
    const at = await answered;
    return at === undefined ? undefined : at - sentAt;
  }

  /** `count` pings, `intervalMs` apart (after each reply), or until `until` returns true. */
  async series(
    count: number,
    intervalMs: number,
    timeoutMs = 1000,
    until?: () => boolean,
  ): Promise<PingSeries> {
    const rttMs: number[] = [];
    const sentAt: number[] = [];
    let lost = 0;
    for (let sent = 0; sent < count && !until?.(); sent++) {
      const startedAt = performance.now();
      const rtt = await this.ping(timeoutMs);
      if (rtt === undefined) lost++;
      else {
        rttMs.push(rtt);
        sentAt.push(startedAt);
      }
      if (intervalMs > 0) await sleep(intervalMs);
    }
    return { rttMs, sentAt, lost };
  }

  /** Pings until a reply comes, up to `timeoutMs` overall; false when none came. */
  async waitUntilAnswering(timeoutMs: number, isAlive: () => boolean = () => true): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline && isAlive()) {
      if ((await this.ping(200)) !== undefined) return true;
    }
    return false;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

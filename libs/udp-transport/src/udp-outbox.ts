import { isObservable } from 'rxjs';
import { AmplificationBudget } from './amplification-budget.js';
import type { EndOfTurn } from './end-of-turn.js';
import { UdpSendError } from './errors/udp-send.error.js';
import { isDatagram, isDatagramList } from './reply-datagrams.js';
import { Tally } from './tally.js';
import type { UdpEndpoint } from './udp-endpoint.js';
import { UdpDropReason } from './udp-events.js';

/** Where {@link UdpOutbox.deliver} reports a handler result it cannot send. */
export interface DeliveryProblems {
  /** The promise rejected, the stream errored. */
  failed(error: unknown): void;
  /** Neither bytes nor nothing. */
  invalid(problem: TypeError): void;
}

/** What the outbox tells its server about the datagrams it could not send. */
export interface OutboxReports {
  /** A datagram dropped before it left (budget, not listening); returns the count so far. */
  drop(reason: UdpDropReason, address: string, port: number): number;
  /** A send the system refused. */
  sendFailed(error: UdpSendError): void;
  /** A datagram the system took (only called when someone listens for it). */
  sent?(datagram: Uint8Array, address: string, port: number): void;
}

/**
 * Every datagram the server sends goes through here: the anti-reflection budget is checked when
 * it is sent (or held), and while a turn is open ({@link EndOfTurn}) it waits in flat arrays,
 * without a closure or a promise each, until the turn's records are written; then the turn's
 * datagrams leave together. Sent datagrams are counted by kind (read at scrape time).
 */
export class UdpOutbox {
  private readonly endpoints: UdpEndpoint[] = [];
  private readonly datagrams: Uint8Array[] = [];
  private readonly ports: number[] = [];
  private readonly addresses: string[] = [];
  /** Pushes held with a promise to settle once they leave (rare: `sendTo`). */
  private readonly settlers = new Map<number, (sent: boolean) => void>();
  private readonly sentByKind = new Tally<string>();
  private readonly onSendError: (error: Error | null) => void;
  /** Set while the server listens: datagrams are sent (or held) only then. */
  open = false;

  constructor(
    readonly budget: AmplificationBudget,
    private readonly turn: EndOfTurn,
    private readonly reports: OutboxReports,
    private readonly kindOf: ((datagram: Uint8Array) => string) | undefined,
  ) {
    turn.onRelease(() => this.release());
    // One callback for every send: a failure is rare, and then reported without the datagram.
    this.onSendError = (error) => {
      if (error) this.reports.sendFailed(new UdpSendError('(a peer)', 0, 0, error));
    };
  }

  /** Queues or sends `datagram`; false when it was dropped (budget spent, not listening). */
  send(endpoint: UdpEndpoint, datagram: Uint8Array, port: number, address: string): boolean {
    if (!this.admit(datagram, port, address)) return false;
    if (this.turn.open) {
      this.endpoints.push(endpoint);
      this.datagrams.push(datagram);
      this.ports.push(port);
      this.addresses.push(address);
    } else {
      this.transmit(endpoint, datagram, port, address);
    }
    return true;
  }

  /**
   * Sends what a handler produced: a Buffer or an array of them now (held to the end of the
   * turn), nothing for undefined or null, and a Promise's or an Observable's values once there.
   */
  deliver(
    result: unknown,
    endpoint: UdpEndpoint,
    port: number,
    address: string,
    problems: DeliveryProblems,
  ): void {
    if (result === undefined || result === null) return;
    if (isDatagram(result)) {
      this.send(endpoint, result, port, address);
    } else if (result instanceof Promise) {
      result.then(
        (value: unknown) => this.deliver(value, endpoint, port, address, problems),
        (error: unknown) => problems.failed(error),
      );
    } else if (isObservable(result)) {
      result.subscribe({
        next: (value: unknown) => this.deliver(value, endpoint, port, address, problems),
        error: (error: unknown) => problems.failed(error),
      });
    } else if (isDatagramList(result)) {
      for (const datagram of result) this.send(endpoint, datagram, port, address);
    } else {
      problems.invalid(new TypeError(`produced ${typeof result}, not a Buffer, Buffer[], null or undefined`));
    }
  }

  /** Like {@link send}, resolving once the datagram left (true) or was dropped (false). */
  push(endpoint: UdpEndpoint, datagram: Uint8Array, port: number, address: string): Promise<boolean> {
    if (!this.admit(datagram, port, address)) return Promise.resolve(false);
    if (!this.turn.open)
      return endpoint
        .send(datagram, port, address)
        .then((error) => this.settle(error, datagram, port, address));
    return new Promise((resolve) => {
      this.settlers.set(this.datagrams.length, resolve);
      this.endpoints.push(endpoint);
      this.datagrams.push(datagram);
      this.ports.push(port);
      this.addresses.push(address);
    });
  }

  /** Datagrams sent so far, by the kind the server's options give them (a copy). */
  sentCounts(): Map<string, number> {
    return this.sentByKind.snapshot();
  }

  /** Forgets what is held (the server closed). */
  discard(): void {
    for (const settle of this.settlers.values()) settle(false);
    this.settlers.clear();
    this.endpoints.length = 0;
    this.datagrams.length = 0;
    this.ports.length = 0;
    this.addresses.length = 0;
  }

  private admit(datagram: Uint8Array, port: number, address: string): boolean {
    if (!this.open) {
      this.reports.drop(UdpDropReason.NOT_LISTENING, address, port);
      return false;
    }
    if (this.budget.tryDebit(address, datagram.byteLength)) return true;
    this.reports.drop(UdpDropReason.AMPLIFICATION_LIMIT, address, port);
    return false;
  }

  private release(): void {
    const count = this.datagrams.length;
    if (count === 0) return;
    for (let index = 0; index < count; index++) {
      const settle = this.settlers.get(index);
      if (settle) {
        const [datagram, port, address] = [
          this.datagrams[index]!,
          this.ports[index]!,
          this.addresses[index]!,
        ];
        void this.endpoints[index]!.send(datagram, port, address).then((error) =>
          settle(this.settle(error, datagram, port, address)),
        );
      } else {
        this.transmit(
          this.endpoints[index]!,
          this.datagrams[index]!,
          this.ports[index]!,
          this.addresses[index]!,
        );
      }
    }
    this.settlers.clear();
    this.endpoints.length = 0;
    this.datagrams.length = 0;
    this.ports.length = 0;
    this.addresses.length = 0;
  }

  private transmit(endpoint: UdpEndpoint, datagram: Uint8Array, port: number, address: string): void {
    endpoint.sendQuietly(datagram, port, address, this.onSendError);
    this.count(datagram, port, address);
  }

  private settle(error: Error | undefined, datagram: Uint8Array, port: number, address: string): boolean {
    if (error !== undefined) {
      this.reports.sendFailed(new UdpSendError(address, port, datagram.byteLength, error));
      return false;
    }
    this.count(datagram, port, address);
    return true;
  }

  private count(datagram: Uint8Array, port: number, address: string): void {
    if (this.kindOf) this.sentByKind.increment(this.kindOf(datagram));
    this.reports.sent?.(datagram, address, port);
  }
}

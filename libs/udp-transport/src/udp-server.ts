import type { RemoteInfo, Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Logger, type LoggerService } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { AmplificationBudget } from './amplification-budget.js';
import type { DecodeResult } from './datagram-decoder.js';
import { EndOfTurn } from './end-of-turn.js';
import { UdpDecoderError } from './errors/udp-decoder.error.js';
import { UdpServerStateError } from './errors/udp-server-state.error.js';
import { UdpSocketError } from './errors/udp-socket.error.js';
import { dispatchThroughNest, type NestPipeline } from './nest-dispatch.js';
import { receiveQueueBytes } from './receive-queue.js';
import { isDatagram } from './reply-datagrams.js';
import { remoteKeyOf, UdpContext } from './udp-context.js';
import type { UdpEndpoint } from './udp-endpoint.js';
import { UdpEndpoints } from './udp-endpoints.js';
import { UdpFailures, type UdpEventArgs } from './udp-failures.js';
import { UdpOutbox } from './udp-outbox.js';
import { UdpDropReason, UdpStatus, type UdpEvents } from './udp-events.js';
import {
  resolveUdpServerOptions,
  type ResolvedUdpServerOptions,
  type UdpServerOptions,
} from './udp-server-options.js';
import { UDP_TRANSPORT } from './udp-transport.id.js';

/** idle → binding → listening → closed; a failed bind goes back to idle. */
type ServerState = 'idle' | 'binding' | 'listening' | 'closed';

/**
 * A handler called directly on the receive path (see {@link UdpServer.addDirectHandler}): it
 * returns its reply (a Buffer, an array of Buffers, nothing) or, when it must wait, a Promise or
 * an Observable of it.
 */
export type DirectHandler = (data: unknown, context: UdpContext) => unknown;

/**
 * Nest custom transport over UDP. Each datagram goes through the configured decoder, is routed by
 * the decoded pattern to its handler, and whatever the handler returns (a Buffer, an array of
 * Buffers, or nothing; directly, as a Promise or as an Observable) is sent back to the datagram's
 * source from the socket that received it. Patterns registered with {@link addDirectHandler} are
 * served without Nest's request pipeline (no Observable, no Promise per datagram); the others go
 * through it.
 *
 * Replies to the datagrams of one event-loop turn (all those the socket had ready) leave together
 * at the end of the turn ({@link EndOfTurn}), after whatever the turn must write first (a journal
 * sharing the same `EndOfTurn`). A reply produced later leaves at once, or at the end of the turn
 * open then.
 *
 * The server never answers what the decoder rejected, never lets a handler failure reach the
 * socket, and never sends an address more than `amplificationFactor` times what it received from
 * it ({@link AmplificationBudget}). Failures are counted and reported as events ({@link UdpFailures}).
 */
export class UdpServer extends Server<UdpEvents, UdpStatus> implements CustomTransportStrategy {
  override transportId: symbol = UDP_TRANSPORT;
  declare protected readonly logger: LoggerService;
  private readonly options: ResolvedUdpServerOptions;
  private readonly budget: AmplificationBudget;
  private readonly outbox: UdpOutbox;
  private readonly directHandlers = new Map<string, DirectHandler>();
  private readonly events = new EventEmitter<UdpEventArgs>();
  private readonly failures: UdpFailures;
  private readonly endpoints: UdpEndpoints;
  /** The end of the event-loop turn, shared with whoever must write before replies leave. */
  readonly turn: EndOfTurn;
  /** Nest's request and event pipeline, for the patterns not served directly. */
  private readonly pipeline: NestPipeline = {
    handleRequest: (context, produce, respond) => this.handleRequest(context, produce, respond),
    transformToObservable: (value) => this.transformToObservable(value),
    handleEvent: (pattern, packet, context) => this.handleEvent(pattern, packet, context),
  };
  /** What each handler's context reads its `replyBudget` from (one function, not one per datagram). */
  private readonly remainingBudget = (address: string): number => this.budget.remaining(address);
  private state: ServerState = 'idle';
  private closing: Promise<void> | undefined;

  constructor(options: UdpServerOptions) {
    super();
    this.options = resolveUdpServerOptions(options);
    this.logger = options.logger ?? new Logger(UdpServer.name);
    this.failures = new UdpFailures(this.logger, this.events);
    this.budget = new AmplificationBudget({
      factor: this.options.amplificationFactor,
      windowMs: this.options.amplificationWindowMs,
      maxPeers: this.options.maxTrackedPeers,
      clock: options.clock ?? performance.now.bind(performance),
    });
    this.turn = options.endOfTurn ?? new EndOfTurn();
    this.outbox = new UdpOutbox(
      this.budget,
      this.turn,
      {
        drop: (reason, address, port) => this.failures.dropOutgoing(reason, address, port),
        sendFailed: (error) => this.failures.sendFailed(error, this.state === 'listening'),
        sent: (datagram, address, port) => {
          if (this.failures.hears('sent')) this.events.emit('sent', datagram, address, port);
        },
      },
      options.sentKind,
    );
    this.endpoints = new UdpEndpoints(this.options, {
      datagram: (datagram, remote, endpoint) => this.receive(datagram, remote, endpoint),
      error: (error, endpoint) => this.onSocketError(error, endpoint),
    });
  }

  /**
   * Binds the socket(s), then calls `callback` exactly once: without arguments when every socket is
   * bound, or with the error (`UdpBindError`, `UdpServerStateError`) otherwise.
   */
  override listen(callback: (error?: unknown) => void): void {
    if (this.state !== 'idle') {
      callback(new UdpServerStateError(`cannot listen: the server is ${this.state}`));
      return;
    }
    this.state = 'binding';
    this.endpoints
      .bindAll(() => this.state === 'binding')
      .then(
        (addresses) => this.onBound(addresses, callback),
        (error: unknown) => this.onBindFailure(error, callback),
      )
      .catch((error: unknown) => this.logger.error(`listen callback threw: ${String(error)}`));
  }

  /** Closes every socket. Idempotent: every call returns the same promise, which never rejects. */
  override close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Registers `callback` for `event` (see {@link UdpEvents}). */
  override on<
    EventKey extends keyof UdpEvents = keyof UdpEvents,
    EventCallback extends UdpEvents[EventKey] = UdpEvents[EventKey],
  >(event: EventKey, callback: EventCallback): this {
    this.events.on(event, callback as never);
    return this;
  }

  /** Removes a listener added with {@link on}. */
  off<EventKey extends keyof UdpEvents>(event: EventKey, callback: UdpEvents[EventKey]): this {
    this.events.off(event, callback as never);
    return this;
  }

  /** The primary `dgram.Socket` (bound to `host`); it exists, unbound, from construction. */
  override unwrap<T = Socket>(): T {
    return this.endpoints.primary.socket as unknown as T;
  }

  /** Serves `pattern` with `handler` called directly (no Nest pipeline); it wins over a `@MessagePattern`. */
  addDirectHandler(pattern: string, handler: DirectHandler): void {
    this.directHandlers.set(pattern, handler);
  }

  /** Credits `address` with `bytes` it sent a previous process (its reply budget survives a restart). */
  creditPeer(address: string, bytes: number): void {
    this.budget.credit(address, bytes);
  }

  /** Datagrams sent so far, by the kind `sentKind` gives them (a copy; empty without `sentKind`). */
  sentCounts(): Map<string, number> {
    return this.outbox.sentCounts();
  }

  /**
   * Decoders produce plain strings, which are their own route: look them up directly before
   * falling back on the base class, whose `JSON.parse` attempt throws for every plain string.
   */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    return this.messageHandlers.get(pattern) ?? super.getHandlerByPattern(pattern);
  }

  /**
   * Sends an unsolicited datagram (a push), under the same amplification budget as replies, from
   * the socket bound to `localAddress` (the peer's last `UdpContext.localAddress`) or the primary.
   * Resolves true once the system has taken it, false when it was dropped; never rejects.
   */
  sendTo(datagram: Uint8Array, port: number, address: string, localAddress?: string): Promise<boolean> {
    return this.outbox.push(this.endpoints.at(localAddress), datagram, port, address);
  }

  /**
   * Bytes received by the kernel for this server's port and not read yet (Linux; undefined
   * elsewhere or before listen): how far behind the datagrams being handled now are.
   */
  receiveQueueBytes(): Promise<number | undefined> {
    if (this.state !== 'listening') return Promise.resolve(undefined);
    return receiveQueueBytes(this.endpoints.primary.socket.address().port);
  }

  /** Datagrams the decoder rejected, by its reason (a copy). */
  rejectionCounts(): Map<string, number> {
    return this.failures.rejectionCounts();
  }

  /** Datagrams the transport dropped, by {@link UdpDropReason} (a copy). */
  dropCounts(): Map<UdpDropReason, number> {
    return this.failures.dropCounts();
  }

  private onBound(addresses: readonly AddressInfo[], callback: (error?: unknown) => void): void {
    if (this.state !== 'binding') {
      callback(new UdpServerStateError('the server was closed before it finished binding'));
      return;
    }
    this.state = 'listening';
    this.outbox.open = true;
    this._status$.next(UdpStatus.CONNECTED);
    this.logger.log(`listening on ${addresses.map((bound) => `${bound.address}:${bound.port}`).join(', ')}`);
    if (this.failures.hears('listening')) this.events.emit('listening', addresses);
    callback();
  }

  /** Closes whatever was bound and, unless a close was requested meanwhile, allows another listen. */
  private async onBindFailure(error: unknown, callback: (error?: unknown) => void): Promise<void> {
    await this.endpoints.closeAll();
    if (this.state === 'binding') {
      this.endpoints.reset();
      this.state = 'idle';
    }
    this._status$.next(UdpStatus.DISCONNECTED);
    callback(error);
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    this.outbox.open = false;
    this.outbox.discard();
    await this.endpoints.closeAll();
    this.budget.clear();
    this._status$.next(UdpStatus.DISCONNECTED);
    if (this.failures.hears('close')) this.events.emit('close');
  }

  /** The receive path: runs once per datagram, so it logs nothing and allocates only the context. */
  private receive(datagram: Buffer, remote: RemoteInfo, endpoint: UdpEndpoint): void {
    if (this.state !== 'listening') return;
    // The turn ends in the check phase, once every datagram the socket had ready is handled.
    this.turn.touch();
    let decoded: DecodeResult;
    try {
      decoded = this.options.decoder.decode(datagram);
    } catch (error) {
      const failure = new UdpDecoderError(remoteKeyOf(remote), error);
      this.failures.report(UdpDropReason.DECODER_ERROR, remote.address, remote.port, failure);
      return;
    }
    if (!decoded.ok) {
      this.failures.rejected(decoded.reason, remote, decoded.detail);
      return;
    }
    this.budget.credit(remote.address, datagram.byteLength);
    const { pattern, data } = decoded;
    const direct = this.directHandlers.get(pattern);
    const handler = direct === undefined ? this.getHandlerByPattern(pattern) : null;
    if (direct === undefined && handler === null) {
      this.failures.drop(UdpDropReason.UNROUTABLE, remote.address, remote.port);
      return;
    }
    const context = new UdpContext([datagram, remote, pattern, endpoint.localAddress, this.remainingBudget]);
    if (direct === undefined) {
      const deliver = (value: unknown): void => this.deliver(value, context, endpoint);
      const failed = (error: unknown): void => this.failures.handlerFailed(error, context);
      dispatchThroughNest(this.pipeline, handler!, pattern, data, context, deliver, failed);
      return;
    }
    let result: unknown;
    try {
      result = direct(data, context);
    } catch (error) {
      this.failures.handlerFailed(error, context);
      return;
    }
    this.deliver(result, context, endpoint);
  }

  /** Sends what a handler produced: now (held to the end of the turn), or once it is there. */
  private deliver(result: unknown, context: UdpContext, endpoint: UdpEndpoint): void {
    // The hot path: one Buffer, nothing allocated for it.
    if (isDatagram(result)) {
      this.outbox.send(endpoint, result, context.remotePort, context.remoteAddress);
      return;
    }
    if (result === undefined || result === null) return;
    const problems = this.failures.problemsOf(context);
    this.outbox.deliver(result, endpoint, context.remotePort, context.remoteAddress, problems);
  }

  private onSocketError(error: Error, endpoint: UdpEndpoint): void {
    const failure = new UdpSocketError(endpoint.localAddress ?? this.options.host, error);
    this.logger.error(failure.message, error.stack);
    if (this.failures.hears('error')) this.events.emit('error', failure);
  }
}

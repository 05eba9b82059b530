import type { RemoteInfo, Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Logger, type LoggerService } from '@nestjs/common';
import {
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
  type WritePacket,
} from '@nestjs/microservices';
import { isObservable } from 'rxjs';
import { AmplificationBudget } from './amplification-budget.js';
import type { DecodedDatagram, DecodeResult } from './datagram-decoder.js';
import { EndOfTurn } from './end-of-turn.js';
import { UdpDecoderError } from './errors/udp-decoder.error.js';
import { UdpHandlerError } from './errors/udp-handler.error.js';
import type { UdpSendError } from './errors/udp-send.error.js';
import { UdpServerStateError } from './errors/udp-server-state.error.js';
import { UdpSocketError } from './errors/udp-socket.error.js';
import { localIPv4Addresses } from './local-addresses.js';
import { receiveQueueBytes } from './receive-queue.js';
import { isDatagram, isDatagramList } from './reply-datagrams.js';
import { isLoggableCount, Tally } from './tally.js';
import { remoteKeyOf, UdpContext } from './udp-context.js';
import { UdpEndpoint, type UdpEndpointListeners } from './udp-endpoint.js';
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

/** {@link UdpEvents} as the argument tuples `EventEmitter` is typed with. */
type UdpEventArgs = { [Event in keyof UdpEvents]: Parameters<UdpEvents[Event]> };

/**
 * A handler called directly on the receive path (see {@link UdpServer.addDirectHandler}): it
 * returns its reply (a Buffer, an array of Buffers, nothing) or, when it must wait, a Promise or
 * an Observable of it.
 */
export type DirectHandler = (data: unknown, context: UdpContext) => unknown;

/**
 * Nest custom transport over UDP. Each datagram goes through the configured decoder, is routed by
 * the decoded pattern to a `@MessagePattern` handler, and whatever the handler returns (a Buffer,
 * an array of Buffers, or nothing; directly, as a Promise or as an Observable) is sent back to the
 * datagram's source from the socket that received it.
 *
 * Replies to the datagrams of one event-loop turn (all those the socket had ready) leave together
 * at the end of the turn ({@link EndOfTurn}), after whatever the turn must write first (a
 * journal shares the same `EndOfTurn`): one batch of sends rather than one between each datagram.
 * A reply produced later (after asynchronous work) leaves at once, or at the end of the turn
 * open then.
 *
 * Patterns registered with {@link addDirectHandler} are served without Nest's request pipeline
 * (no Observable, no Promise per datagram): the datagram hot path. Others go through it.
 *
 * The server never answers what the decoder rejected, never lets a handler failure reach the
 * socket, and never sends an address more than `amplificationFactor` times what it received from
 * it (see {@link AmplificationBudget}). Failures are counted and reported as events; logs are kept
 * for lifecycle messages and for failures, the latter at power-of-two counts only.
 */
export class UdpServer extends Server<UdpEvents, UdpStatus> implements CustomTransportStrategy {
  override transportId: symbol = UDP_TRANSPORT;
  declare protected readonly logger: LoggerService;
  private readonly options: ResolvedUdpServerOptions;
  private readonly budget: AmplificationBudget;
  private readonly outbox: UdpOutbox;
  private readonly directHandlers = new Map<string, DirectHandler>();
  private readonly events = new EventEmitter<UdpEventArgs>();
  private readonly rejections = new Tally();
  private readonly drops = new Tally<UdpDropReason>();
  private readonly endpointListeners: UdpEndpointListeners = {
    datagram: (datagram, remote, endpoint) => this.receive(datagram, remote, endpoint),
    error: (error, endpoint) => this.onSocketError(error, endpoint),
  };
  /** The end of the event-loop turn, shared with whoever must write before replies leave. */
  readonly turn: EndOfTurn;
  /** What each handler's context reads its `replyBudget` from (one function, not one per datagram). */
  private readonly remainingBudget = (address: string): number => this.budget.remaining(address);
  /** The socket bound to `host` first, then, with `bindEachAddress`, one per local address. */
  private endpoints: UdpEndpoint[];
  private state: ServerState = 'idle';
  private closing: Promise<void> | undefined;

  constructor(options: UdpServerOptions) {
    super();
    this.options = resolveUdpServerOptions(options);
    this.logger = options.logger ?? new Logger(UdpServer.name);
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
        drop: (reason, address, port) => this.dropOutgoing(reason, address, port),
        sendFailed: (error) => this.sendFailed(error),
        sent: (datagram, address, port) => {
          if (this.hears('sent')) this.events.emit('sent', datagram, address, port);
        },
      },
      options.sentKind,
    );
    this.endpoints = [this.createEndpoint()];
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
    this.bindAll()
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
    return this.endpoints[0].socket as unknown as T;
  }

  /**
   * Serves `pattern` with `handler`, called directly on the receive path: no Observable, no
   * Promise, no Nest pipeline (guards, interceptors, pipes, filters) per datagram. A direct
   * handler wins over a `@MessagePattern` handler of the same pattern.
   */
  addDirectHandler(pattern: string, handler: DirectHandler): void {
    this.directHandlers.set(pattern, handler);
  }

  /**
   * Credits `address` with `bytes` received from it: a process that restarted gives the peers it
   * was serving back the reply budget their datagrams had earned (they will not send them again).
   */
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
   * Sends an unsolicited datagram (a push), under the same amplification budget as replies: it
   * goes out only to an address that has recently sent enough. It leaves from the socket bound to
   * `localAddress` when there is one (pass the `localAddress` of the peer's last `UdpContext`, so
   * that it comes from the address the peer talks to), from the primary socket otherwise.
   * Resolves true once the system has taken it, false when it was dropped; never rejects.
   */
  sendTo(datagram: Uint8Array, port: number, address: string, localAddress?: string): Promise<boolean> {
    const endpoint =
      (localAddress !== undefined && this.endpoints.find((each) => each.localAddress === localAddress)) ||
      this.endpoints[0];
    return this.outbox.push(endpoint, datagram, port, address);
  }

  /** Datagrams the decoder rejected, by its reason (a copy). */
  /**
   * Bytes received by the kernel for this server's port and not read yet (Linux; undefined
   * elsewhere or before listen): how far behind the datagrams being handled now are.
   */
  receiveQueueBytes(): Promise<number | undefined> {
    if (this.state !== 'listening') return Promise.resolve(undefined);
    return receiveQueueBytes(this.endpoints[0].socket.address().port);
  }

  rejectionCounts(): Map<string, number> {
    return this.rejections.snapshot();
  }

  /** Datagrams the transport dropped, by {@link UdpDropReason} (a copy). */
  dropCounts(): Map<UdpDropReason, number> {
    return this.drops.snapshot();
  }

  private createEndpoint(): UdpEndpoint {
    return new UdpEndpoint(
      {
        type: this.options.socketType,
        reuseAddr: this.options.reuseAddr,
        receiveBufferSize: this.options.receiveBufferSize,
        sendBufferSize: this.options.sendBufferSize,
      },
      this.endpointListeners,
    );
  }

  private async bindAll(): Promise<AddressInfo[]> {
    const primary = await this.endpoints[0].bind(this.options.port, this.options.host);
    const addresses = [primary];
    if (!this.options.bindEachAddress) return addresses;
    for (const address of localIPv4Addresses()) {
      if (this.state !== 'binding') break;
      const endpoint = this.createEndpoint();
      this.endpoints.push(endpoint);
      addresses.push(await endpoint.bind(primary.port, address));
    }
    return addresses;
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
    if (this.hears('listening')) this.events.emit('listening', addresses);
    callback();
  }

  /** Closes whatever was bound and, unless a close was requested meanwhile, allows another listen. */
  private async onBindFailure(error: unknown, callback: (error?: unknown) => void): Promise<void> {
    const failed = this.endpoints;
    await Promise.all(failed.map((endpoint) => endpoint.close()));
    if (this.state === 'binding') {
      this.endpoints = [this.createEndpoint()];
      this.state = 'idle';
    }
    this._status$.next(UdpStatus.DISCONNECTED);
    callback(error);
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    this.outbox.open = false;
    this.outbox.discard();
    await Promise.all(this.endpoints.map((endpoint) => endpoint.close()));
    this.budget.clear();
    this._status$.next(UdpStatus.DISCONNECTED);
    if (this.hears('close')) this.events.emit('close');
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
      this.reportFailure(UdpDropReason.DECODER_ERROR, remote.address, remote.port, failure);
      return;
    }
    if (!decoded.ok) {
      this.rejections.increment(decoded.reason);
      if (this.hears('rejected')) this.events.emit('rejected', decoded.reason, remote, decoded.detail);
      return;
    }
    this.budget.credit(remote.address, datagram.byteLength);
    const direct = this.directHandlers.get(decoded.pattern);
    const handler = direct === undefined ? this.getHandlerByPattern(decoded.pattern) : null;
    if (direct === undefined && handler === null) {
      this.drop(UdpDropReason.UNROUTABLE, remote.address, remote.port);
      return;
    }
    const context = new UdpContext([
      datagram,
      remote,
      decoded.pattern,
      endpoint.localAddress,
      this.remainingBudget,
    ]);
    if (direct !== undefined) this.dispatchDirect(direct, decoded.data, context, endpoint);
    else if (handler!.isEventHandler) this.dispatchEvent(decoded, context);
    else this.dispatchRequest(handler!, decoded.data, context, endpoint);
  }

  private dispatchDirect(handler: DirectHandler, data: unknown, context: UdpContext, endpoint: UdpEndpoint): void {
    let result: unknown;
    try {
      result = handler(data, context);
    } catch (error) {
      this.handlerFailed(error, context);
      return;
    }
    this.deliver(result, context, endpoint);
  }

  /** Sends what a handler produced: now (held to the end of the turn), or once it is there. */
  private deliver(result: unknown, context: UdpContext, endpoint: UdpEndpoint): void {
    if (result === undefined || result === null) return;
    if (isDatagram(result)) {
      this.outbox.send(endpoint, result, context.remotePort, context.remoteAddress);
    } else if (result instanceof Promise) {
      result.then(
        (value: unknown) => this.deliver(value, context, endpoint),
        (error: unknown) => this.handlerFailed(error, context),
      );
    } else if (isObservable(result)) {
      result.subscribe({
        next: (value: unknown) => this.deliver(value, context, endpoint),
        error: (error: unknown) => this.handlerFailed(error, context),
      });
    } else if (isDatagramList(result)) {
      for (const datagram of result) this.outbox.send(endpoint, datagram, context.remotePort, context.remoteAddress);
    } else {
      const problem = new TypeError(`produced ${typeof result}, not a Buffer, Buffer[], null or undefined`);
      const failure = new UdpHandlerError(context.pattern, context.remoteKey, problem);
      this.reportFailure(UdpDropReason.INVALID_REPLY, context.remoteAddress, context.remotePort, failure);
    }
  }

  private dispatchRequest(
    handler: MessageHandler,
    data: unknown,
    context: UdpContext,
    endpoint: UdpEndpoint,
  ): void {
    const settled: unknown = this.handleRequest(
      context,
      async () => this.transformToObservable(await handler(data, context)),
      (packet) => this.reply(packet, context, endpoint),
    );
    // The base class hands back the processing hook's promise: a handler that throws or rejects
    // (rather than erroring its stream) surfaces as its rejection.
    if (settled instanceof Promise) settled.catch((error: unknown) => this.handlerFailed(error, context));
  }

  /** `@EventPattern` handlers are called the same way, and never answered. */
  private dispatchEvent(decoded: DecodedDatagram, context: UdpContext): void {
    this.handleEvent(decoded.pattern, { pattern: decoded.pattern, data: decoded.data }, context).catch(
      (error: unknown) => this.handlerFailed(error, context),
    );
  }

  /** Sends one value of a handler's response stream. */
  private reply(packet: WritePacket, context: UdpContext, endpoint: UdpEndpoint): void {
    if ('err' in packet) {
      this.handlerFailed(packet.err, context);
      return;
    }
    this.deliver(packet.response, context, endpoint);
  }

  private dropOutgoing(reason: UdpDropReason, address: string, port: number): number {
    const count = this.drop(reason, address, port);
    if (reason === UdpDropReason.AMPLIFICATION_LIMIT && isLoggableCount(count)) {
      this.logger.warn(`a datagram to ${address}:${port} over its amplification budget (${count} dropped so far)`);
    }
    return count;
  }

  private sendFailed(error: UdpSendError): void {
    if (this.state !== 'listening') {
      this.drop(UdpDropReason.NOT_LISTENING, error.address, error.port);
      return;
    }
    this.reportFailure(UdpDropReason.SEND_ERROR, error.address, error.port, error);
  }

  private handlerFailed(cause: unknown, context: UdpContext): void {
    const failure = new UdpHandlerError(context.pattern, context.remoteKey, cause);
    this.reportFailure(UdpDropReason.HANDLER_ERROR, context.remoteAddress, context.remotePort, failure);
  }

  private onSocketError(error: Error, endpoint: UdpEndpoint): void {
    const failure = new UdpSocketError(endpoint.localAddress ?? this.options.host, error);
    this.logger.error(failure.message, error.stack);
    if (this.hears('error')) this.events.emit('error', failure);
  }

  /** Counts a drop and reports its error: logged at power-of-two counts, always emitted. */
  private reportFailure(reason: UdpDropReason, address: string, port: number, failure: Error): void {
    const count = this.drop(reason, address, port);
    if (isLoggableCount(count)) {
      const cause = failure.cause instanceof Error ? failure.cause.stack : undefined;
      this.logger.error(`${failure.message} (${reason}: ${count} so far)`, cause);
    }
    if (this.hears('error')) this.events.emit('error', failure);
  }

  private drop(reason: UdpDropReason, address: string, port: number): number {
    const count = this.drops.increment(reason);
    if (this.hears('dropped')) this.events.emit('dropped', reason, address, port);
    return count;
  }

  private hears(event: keyof UdpEvents): boolean {
    return this.events.listenerCount(event) > 0;
  }
}

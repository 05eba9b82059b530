import type { RemoteInfo } from 'node:dgram';
import type { EventEmitter } from 'node:events';
import type { LoggerService } from '@nestjs/common';
import { UdpHandlerError } from './errors/udp-handler.error.js';
import type { UdpSendError } from './errors/udp-send.error.js';
import { isLoggableCount, Tally } from './tally.js';
import type { UdpContext } from './udp-context.js';
import type { DeliveryProblems } from './udp-outbox.js';
import { UdpDropReason, type UdpEvents } from './udp-events.js';

/** {@link UdpEvents} as the argument tuples `EventEmitter` is typed with. */
export type UdpEventArgs = { [Event in keyof UdpEvents]: Parameters<UdpEvents[Event]> };

/**
 * What a `UdpServer` could not serve or send, counted by reason (read at scrape time), reported
 * as events to whoever listens, and logged at power-of-two counts only: a failure that repeats
 * once per datagram cannot flood the logs.
 */
export class UdpFailures {
  private readonly rejections = new Tally();
  private readonly drops = new Tally<UdpDropReason>();

  constructor(
    private readonly logger: LoggerService,
    private readonly events: EventEmitter<UdpEventArgs>,
  ) {}

  /** Whether anyone listens for `event` (an event nobody hears costs nothing). */
  hears(event: keyof UdpEvents): boolean {
    return this.events.listenerCount(event) > 0;
  }

  /** The decoder rejected a datagram. */
  rejected(reason: string, remote: RemoteInfo, detail: string | undefined): void {
    this.rejections.increment(reason);
    if (this.hears('rejected')) this.events.emit('rejected', reason, remote, detail);
  }

  /** A datagram dropped, in or out; returns the count of that reason so far. */
  drop(reason: UdpDropReason, address: string, port: number): number {
    const count = this.drops.increment(reason);
    if (this.hears('dropped')) this.events.emit('dropped', reason, address, port);
    return count;
  }

  /** A datagram not sent (budget spent, not listening). */
  dropOutgoing(reason: UdpDropReason, address: string, port: number): number {
    const count = this.drop(reason, address, port);
    if (reason === UdpDropReason.AMPLIFICATION_LIMIT && isLoggableCount(count)) {
      this.logger.warn(
        `a datagram to ${address}:${port} over its amplification budget (${count} dropped so far)`,
      );
    }
    return count;
  }

  /** A send the system refused; `listening`: whether the server still was. */
  sendFailed(error: UdpSendError, listening: boolean): void {
    if (!listening) this.drop(UdpDropReason.NOT_LISTENING, error.address, error.port);
    else this.report(UdpDropReason.SEND_ERROR, error.address, error.port, error);
  }

  /** Where a handler's asynchronous result reports what went wrong with it. */
  problemsOf(context: UdpContext): DeliveryProblems {
    return {
      failed: (error) => this.handlerFailed(error, context),
      invalid: (problem) =>
        this.report(
          UdpDropReason.INVALID_REPLY,
          context.remoteAddress,
          context.remotePort,
          new UdpHandlerError(context.pattern, context.remoteKey, problem),
        ),
    };
  }

  handlerFailed(cause: unknown, context: UdpContext): void {
    const failure = new UdpHandlerError(context.pattern, context.remoteKey, cause);
    this.report(UdpDropReason.HANDLER_ERROR, context.remoteAddress, context.remotePort, failure);
  }

  /** Counts a drop and reports its error: logged at power-of-two counts, always emitted. */
  report(reason: UdpDropReason, address: string, port: number, failure: Error): void {
    const count = this.drop(reason, address, port);
    if (isLoggableCount(count)) {
      const cause = failure.cause instanceof Error ? failure.cause.stack : undefined;
      this.logger.error(`${failure.message} (${reason}: ${count} so far)`, cause);
    }
    if (this.hears('error')) this.events.emit('error', failure);
  }

  rejectionCounts(): Map<string, number> {
    return this.rejections.snapshot();
  }

  dropCounts(): Map<UdpDropReason, number> {
    return this.drops.snapshot();
  }
}

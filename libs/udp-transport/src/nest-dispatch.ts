import type { MessageHandler, WritePacket } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import type { UdpContext } from './udp-context.js';

/** The parts of Nest's `Server` a `@MessagePattern` or `@EventPattern` handler is served through. */
export interface NestPipeline {
  handleRequest(
    context: UdpContext,
    produce: () => Promise<Observable<unknown>>,
    respond: (packet: WritePacket) => void,
  ): unknown;
  transformToObservable(value: unknown): Observable<unknown>;
  handleEvent(
    pattern: string,
    packet: { pattern: string; data: unknown },
    context: UdpContext,
  ): Promise<unknown>;
}

/**
 * Serves a datagram through Nest's pipeline (guards, interceptors, pipes, filters, processing
 * hooks): an event handler is called and never answered; a request handler's values are handed
 * to `deliver`. Failures, thrown, rejected or streamed, go to `failed`.
 */
export function dispatchThroughNest(
  pipeline: NestPipeline,
  handler: MessageHandler,
  pattern: string,
  data: unknown,
  context: UdpContext,
  deliver: (value: unknown) => void,
  failed: (error: unknown) => void,
): void {
  if (handler.isEventHandler) {
    pipeline.handleEvent(pattern, { pattern, data }, context).catch(failed);
    return;
  }
  const settled: unknown = pipeline.handleRequest(
    context,
    async () => pipeline.transformToObservable(await handler(data, context)),
    (packet) => {
      if ('err' in packet) failed(packet.err);
      else deliver(packet.response);
    },
  );
  // The base class hands back the processing hook's promise: a handler that throws or rejects
  // (rather than erroring its stream) surfaces as its rejection.
  if (settled instanceof Promise) settled.catch(failed);
}

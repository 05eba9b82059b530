import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import type { UdpServer } from './udp-server.js';

/** Metadata key of {@link DatagramPattern}. */
export const DATAGRAM_PATTERN = Symbol('udp:datagram-pattern');

/**
 * `@MessagePattern(pattern)` for the datagram hot path: the method is routed by Nest as usual,
 * and once {@link registerDatagramHandlers} ran, the `UdpServer` calls it directly (no Observable,
 * no Promise, no guard, interceptor, pipe or filter per datagram). It returns its reply (a
 * Buffer, an array, nothing) or a Promise of it when it must wait.
 */
export function DatagramPattern(pattern: string): MethodDecorator {
  return applyDecorators(MessagePattern(pattern), SetMetadata(DATAGRAM_PATTERN, pattern));
}

/** Registers every controller method marked {@link DatagramPattern} as a direct handler of `server`. */
export function registerDatagramHandlers(
  server: UdpServer,
  discovery: DiscoveryService,
  scanner: MetadataScanner,
): number {
  let registered = 0;
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || !wrapper.metatype) continue;
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const method = instance[name];
      if (typeof method !== 'function') continue;
      const pattern = Reflect.getMetadata(DATAGRAM_PATTERN, method) as string | undefined;
      if (pattern === undefined) continue;
      server.addDirectHandler(pattern, method.bind(instance) as (data: unknown, context: unknown) => unknown);
      registered++;
    }
  }
  return registered;
}

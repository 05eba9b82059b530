import { describeCause } from './describe-cause.js';

/**
 * A message handler threw, rejected or errored its stream. `cause` is what it failed with: under
 * Nest, the serialized error its exception filter produced (`{ status, message }`).
 */
export class UdpHandlerError extends Error {
  override readonly name = 'UdpHandlerError';

  constructor(
    readonly pattern: string,
    readonly remoteKey: string,
    cause: unknown,
  ) {
    super(`handler for "${pattern}" failed on a datagram from ${remoteKey}: ${describeCause(cause)}`, {
      cause,
    });
  }
}

import { describeCause } from './describe-cause.js';

/** A bound socket reported an error outside of bind and send; the socket stays open. */
export class UdpSocketError extends Error {
  override readonly name = 'UdpSocketError';

  constructor(
    readonly localAddress: string,
    cause: unknown,
  ) {
    super(`UDP socket ${localAddress} reported an error: ${describeCause(cause)}`, { cause });
  }
}

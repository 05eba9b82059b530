import { describeCause } from './describe-cause.js';

/** The decoder threw instead of returning a rejection: a bug in the decoder. */
export class UdpDecoderError extends Error {
  override readonly name = 'UdpDecoderError';

  constructor(
    readonly remoteKey: string,
    cause: unknown,
  ) {
    super(`decoder threw on a datagram from ${remoteKey}: ${describeCause(cause)}`, { cause });
  }
}

import { describeCause } from './describe-cause.js';

/** The operating system refused to send a datagram (unreachable host, message too long…). */
export class UdpSendError extends Error {
  override readonly name = 'UdpSendError';

  constructor(
    readonly address: string,
    readonly port: number,
    readonly bytes: number,
    cause: unknown,
  ) {
    super(`cannot send ${bytes} bytes to ${address}:${port}: ${describeCause(cause)}`, { cause });
  }
}

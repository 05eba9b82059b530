import { describeCause } from './describe-cause.js';

/** A socket could not be bound (address in use, address not available, bad host…). */
export class UdpBindError extends Error {
  override readonly name = 'UdpBindError';

  constructor(
    readonly address: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(`cannot bind UDP socket to ${address}:${port}: ${describeCause(cause)}`, { cause });
  }
}

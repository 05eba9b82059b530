import type { RemoteInfo } from 'node:dgram';
import { BaseRpcContext } from '@nestjs/microservices';

/** Arguments of a {@link UdpContext}, in order. */
export type UdpContextArgs = [
  datagram: Buffer,
  remote: RemoteInfo,
  pattern: string,
  localAddress: string | undefined,
  /** Bytes an address may still be sent under the amplification budget (absent: no limit known). */
  replyBudget?: (address: string) => number,
];

/**
 * What a handler knows about the datagram it is serving, through `@Ctx() context: UdpContext`.
 */
export class UdpContext extends BaseRpcContext<UdpContextArgs> {
  /** The datagram as received, undecoded. */
  get datagram(): Buffer {
    return this.args[0];
  }

  /** Source address of the datagram. */
  get remoteAddress(): string {
    return this.args[1].address;
  }

  /** Source port of the datagram. */
  get remotePort(): number {
    return this.args[1].port;
  }

  /** Address family of the source address. */
  get family(): RemoteInfo['family'] {
    return this.args[1].family;
  }

  /**
   * The local address the datagram was sent to, when known: the address of the socket that
   * received it, unless that socket is bound to the wildcard address (then `undefined`). With
   * `bindEachAddress`, every unicast datagram arrives on a per-address socket, so it is known.
   */
  get localAddress(): string | undefined {
    return this.args[3];
  }

  /**
   * Bytes that may still be sent to the source under the server's amplification budget, now: a
   * handler whose reply can shrink (a list) keeps it within this, rather than have it dropped.
   */
  get replyBudget(): number {
    return this.args[4]?.(this.args[1].address) ?? Number.POSITIVE_INFINITY;
  }

  /** The pattern the decoder routed the datagram by. */
  get pattern(): string {
    return this.args[2];
  }

  /** `address:port` of the source (`[address]:port` for IPv6): one key per remote socket. */
  get remoteKey(): string {
    return remoteKeyOf(this.args[1]);
  }
}

/** `address:port` of a remote socket, `[address]:port` for IPv6. */
export function remoteKeyOf(remote: Pick<RemoteInfo, 'address' | 'port' | 'family'>): string {
  return remote.family === 'IPv6' ? `[${remote.address}]:${remote.port}` : `${remote.address}:${remote.port}`;
}

import type { AddressInfo } from 'node:net';
import { localIPv4Addresses } from './local-addresses.js';
import { UdpEndpoint, type UdpEndpointListeners } from './udp-endpoint.js';
import type { ResolvedUdpServerOptions } from './udp-server-options.js';

/**
 * The sockets of one server: the one bound to `host` first (the primary), then with
 * `bindEachAddress` one per local IPv4 address on the same port, so that a reply leaves from the
 * address the peer sent to.
 */
export class UdpEndpoints {
  private endpoints: UdpEndpoint[];

  constructor(
    private readonly options: ResolvedUdpServerOptions,
    private readonly listeners: UdpEndpointListeners,
  ) {
    this.endpoints = [this.create()];
  }

  /** The primary socket; it exists, unbound, from construction. */
  get primary(): UdpEndpoint {
    return this.endpoints[0]!;
  }

  /** The socket bound to `localAddress`, the primary one when there is none. */
  at(localAddress: string | undefined): UdpEndpoint {
    return (
      (localAddress !== undefined && this.endpoints.find((each) => each.localAddress === localAddress)) ||
      this.primary
    );
  }

  /** Binds every socket; `stillWanted` is asked before each further one (a close may come meanwhile). */
  async bindAll(stillWanted: () => boolean): Promise<AddressInfo[]> {
    const primary = await this.primary.bind(this.options.port, this.options.host);
    const addresses = [primary];
    if (!this.options.bindEachAddress) return addresses;
    for (const address of localIPv4Addresses()) {
      if (!stillWanted()) break;
      const endpoint = this.create();
      this.endpoints.push(endpoint);
      addresses.push(await endpoint.bind(primary.port, address));
    }
    return addresses;
  }

  /** Closes every socket. */
  async closeAll(): Promise<void> {
    await Promise.all(this.endpoints.map((endpoint) => endpoint.close()));
  }

  /** Starts again with a fresh, unbound primary socket (after a failed bind). */
  reset(): void {
    this.endpoints = [this.create()];
  }

  private create(): UdpEndpoint {
    return new UdpEndpoint(
      {
        type: this.options.socketType,
        reuseAddr: this.options.reuseAddr,
        receiveBufferSize: this.options.receiveBufferSize,
        sendBufferSize: this.options.sendBufferSize,
      },
      this.listeners,
    );
  }
}

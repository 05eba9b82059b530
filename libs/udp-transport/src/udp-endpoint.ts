import { createSocket, type RemoteInfo, type Socket, type SocketType } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { UdpBindError } from './errors/udp-bind.error.js';
import { isWildcardAddress } from './local-addresses.js';

/** How an {@link UdpEndpoint} creates its socket. */
export interface UdpEndpointSocketOptions {
  readonly type: SocketType;
  readonly reuseAddr: boolean;
  readonly receiveBufferSize: number | undefined;
  readonly sendBufferSize: number | undefined;
}

/** Where an {@link UdpEndpoint} delivers what its socket reports. */
export interface UdpEndpointListeners {
  datagram(datagram: Buffer, remote: RemoteInfo, endpoint: UdpEndpoint): void;
  error(error: Error, endpoint: UdpEndpoint): void;
}

/**
 * One `dgram` socket and its life: bind, send, close, each reporting through a promise that never
 * rejects past `bind`. The socket is created at construction and bound by {@link bind}.
 */
export class UdpEndpoint {
  readonly socket: Socket;
  private boundAddress: string | undefined;
  private pendingBind: ((error: Error) => void) | undefined;
  private closed: Promise<void> | undefined;
  /**
   * Settlers of the sends still in flight. A socket closed while a send waits for its address
   * lookup never calls that send back, so {@link close} settles them.
   */
  private readonly pendingSends = new Set<(error?: Error | null) => void>();

  constructor(options: UdpEndpointSocketOptions, listeners: UdpEndpointListeners) {
    this.socket = createSocket({
      type: options.type,
      reuseAddr: options.reuseAddr,
      recvBufferSize: options.receiveBufferSize,
      sendBufferSize: options.sendBufferSize,
    });
    this.socket.on('message', (datagram, remote) => listeners.datagram(datagram, remote, this));
    // A permanent listener: an `error` event nobody hears would throw out of the socket.
    this.socket.on('error', (error) => {
      if (this.pendingBind !== undefined) this.pendingBind(error);
      else listeners.error(error, this);
    });
  }

  /**
   * The address this socket is bound to, or `undefined` while unbound or when bound to the
   * wildcard address (a wildcard socket cannot tell which local address a datagram was sent to).
   */
  get localAddress(): string | undefined {
    return this.boundAddress;
  }

  /** Binds the socket. Rejects with {@link UdpBindError}, whatever the failure. */
  bind(port: number, address: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.pendingBind = (error) => {
        this.pendingBind = undefined;
        reject(new UdpBindError(address, port, error));
      };
      try {
        this.socket.bind(port, address, () => {
          this.pendingBind = undefined;
          const bound = this.socket.address();
          this.boundAddress = isWildcardAddress(bound.address) ? undefined : bound.address;
          resolve(bound);
        });
      } catch (error) {
        this.pendingBind?.(error as Error);
      }
    });
  }

  /**
   * Sends one datagram. Resolves with `undefined` once the system has taken it, or with the
   * error that prevented it (bad port, unreachable, socket closed meanwhile…); never rejects.
   */
  send(datagram: Uint8Array, port: number, address: string): Promise<Error | undefined> {
    return new Promise((resolve) => {
      const settle = (error?: Error | null): void => {
        if (this.pendingSends.delete(settle)) resolve(error ?? undefined);
      };
      this.pendingSends.add(settle);
      try {
        this.socket.send(datagram, port, address, settle);
      } catch (error) {
        settle(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * Sends one datagram without a promise (the reply path): `done` hears of a failure, once.
   */
  sendQuietly(
    datagram: Uint8Array,
    port: number,
    address: string,
    done: (error: Error | null) => void,
  ): void {
    try {
      this.socket.send(datagram, port, address, done);
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Closes the socket; a bind still in progress fails. Idempotent: every call returns the same
   * promise, which never rejects.
   */
  close(): Promise<void> {
    this.pendingBind?.(new Error('socket closed before it was bound'));
    for (const settle of this.pendingSends) settle(new Error('socket closed before the datagram was sent'));
    this.closed ??= new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.closed;
  }
}

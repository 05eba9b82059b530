import type { LoggerService } from '@nestjs/common';
import type { DatagramDecoder } from './datagram-decoder.js';
import type { EndOfTurn } from './end-of-turn.js';
import { UdpOptionsError } from './errors/udp-options.error.js';

/** Options of {@link UdpServer}. Only `port` and `decoder` are required. */
export interface UdpServerOptions {
  /** Address to bind. An address containing `:` selects an IPv6 socket (`udp6`). */
  host?: string;
  /** Port to bind, 0..65535; 0 lets the system choose (read it back from `unwrap().address()`). */
  port: number;
  /** Turns each datagram into a pattern and a payload, or rejects it. */
  decoder: DatagramDecoder;
  /** An address is never sent more than this many times the bytes received from it. */
  amplificationFactor?: number;
  /** Length of one accounting window of the amplification budget, in milliseconds. */
  amplificationWindowMs?: number;
  /** Most addresses the amplification budget remembers at once (least recently heard forgotten first). */
  maxTrackedPeers?: number;
  /**
   * Sets `SO_REUSEADDR`, so that several sockets (of this or other processes) can bind the port.
   * Forced on for every socket when `bindEachAddress` is set.
   */
  reuseAddr?: boolean;
  /**
   * Also binds one socket per local IPv4 address (same port) next to the wildcard one, and answers
   * every datagram from the socket that received it, so that replies leave from the address the
   * peer sent to. Requires `host` 0.0.0.0. The address list is read once, at listen: addresses
   * added later are served by the wildcard socket only.
   */
  bindEachAddress?: boolean;
  /** `SO_RCVBUF` in bytes; the system default when absent. Raise it for peers that send bursts. */
  receiveBufferSize?: number;
  /** `SO_SNDBUF` in bytes; the system default when absent. */
  sendBufferSize?: number;
  /** Logger for lifecycle messages and failures; defaults to Nest's `Logger` named `UdpServer`. */
  logger?: LoggerService;
  /** Monotonic clock in milliseconds, for the amplification windows (tests pass a fake one). */
  clock?: () => number;
  /**
   * The end of the event-loop turn at which replies leave; share it with whatever must write
   * before they do (a journal). The server makes its own when absent.
   */
  endOfTurn?: EndOfTurn;
  /** Names the kind of each datagram sent, for {@link UdpServer.sentCounts} (counted at no other cost). */
  sentKind?: (datagram: Uint8Array) => string;
}

/** Defaults of the optional settings of {@link UdpServerOptions}. */
export const UDP_SERVER_DEFAULTS = Object.freeze({
  /** Every IPv4 address of the host. */
  host: '0.0.0.0',
  /**
   * Replies may carry at most 3 bytes for every byte received from the address, the bound QUIC
   * (RFC 9000 §8) uses before an address is validated: enough for request/response protocols
   * whose answers are about as long as their requests, useless as a reflection amplifier.
   */
  amplificationFactor: 3,
  /**
   * One minute. The budget counts the current window and the previous one, so bytes received
   * from an address pay for replies and pushes to it for one to two minutes.
   */
  amplificationWindowMs: 60_000,
  /** 4096 addresses, each a few dozen bytes: a bounded table whatever the source addresses. */
  maxTrackedPeers: 4096,
  /** Exclusive bind: a second server on the same port fails with `UdpBindError`. */
  reuseAddr: false,
  /** One socket only. */
  bindEachAddress: false,
});

/** {@link UdpServerOptions} after validation, defaults filled in; frozen. */
export interface ResolvedUdpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly decoder: DatagramDecoder;
  readonly amplificationFactor: number;
  readonly amplificationWindowMs: number;
  readonly maxTrackedPeers: number;
  readonly reuseAddr: boolean;
  readonly bindEachAddress: boolean;
  readonly receiveBufferSize: number | undefined;
  readonly sendBufferSize: number | undefined;
  readonly socketType: 'udp4' | 'udp6';
}

const PORT_MAX = 0xffff;

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Checks `options`, fills in the defaults and returns a frozen copy. Throws {@link UdpOptionsError}. */
export function resolveUdpServerOptions(options: UdpServerOptions): ResolvedUdpServerOptions {
  if (typeof options?.decoder?.decode !== 'function') {
    throw new UdpOptionsError('decoder', 'must be an object with a decode(datagram) method');
  }
  const port = options.port;
  if (!Number.isInteger(port) || port < 0 || port > PORT_MAX) {
    throw new UdpOptionsError('port', `must be an integer in 0..${PORT_MAX}, got ${String(port)}`);
  }
  const host = options.host ?? UDP_SERVER_DEFAULTS.host;
  if (typeof host !== 'string' || host.length === 0) {
    throw new UdpOptionsError('host', 'must be a non-empty string');
  }
  const amplificationFactor = options.amplificationFactor ?? UDP_SERVER_DEFAULTS.amplificationFactor;
  if (!(Number.isFinite(amplificationFactor) && amplificationFactor > 0)) {
    throw new UdpOptionsError(
      'amplificationFactor',
      `must be a finite number above 0, got ${amplificationFactor}`,
    );
  }
  const amplificationWindowMs = options.amplificationWindowMs ?? UDP_SERVER_DEFAULTS.amplificationWindowMs;
  if (!isPositiveInteger(amplificationWindowMs)) {
    throw new UdpOptionsError(
      'amplificationWindowMs',
      `must be a positive integer, got ${amplificationWindowMs}`,
    );
  }
  const maxTrackedPeers = options.maxTrackedPeers ?? UDP_SERVER_DEFAULTS.maxTrackedPeers;
  if (!isPositiveInteger(maxTrackedPeers)) {
    throw new UdpOptionsError('maxTrackedPeers', `must be a positive integer, got ${maxTrackedPeers}`);
  }
  for (const option of ['receiveBufferSize', 'sendBufferSize'] as const) {
    const size = options[option];
    if (size !== undefined && !isPositiveInteger(size)) {
      throw new UdpOptionsError(option, `must be a positive integer when given, got ${size}`);
    }
  }
  const bindEachAddress = options.bindEachAddress ?? UDP_SERVER_DEFAULTS.bindEachAddress;
  if (bindEachAddress && host !== UDP_SERVER_DEFAULTS.host) {
    throw new UdpOptionsError('bindEachAddress', `needs host ${UDP_SERVER_DEFAULTS.host}, got ${host}`);
  }
  return Object.freeze({
    host,
    port,
    decoder: options.decoder,
    amplificationFactor,
    amplificationWindowMs,
    maxTrackedPeers,
    reuseAddr: bindEachAddress || (options.reuseAddr ?? UDP_SERVER_DEFAULTS.reuseAddr),
    bindEachAddress,
    receiveBufferSize: options.receiveBufferSize,
    sendBufferSize: options.sendBufferSize,
    socketType: host.includes(':') ? 'udp6' : 'udp4',
  });
}

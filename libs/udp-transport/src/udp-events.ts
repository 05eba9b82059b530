import type { AddressInfo } from 'node:net';
import type { RemoteInfo } from 'node:dgram';

/** Values of `UdpServer.status` (Nest's status observable). */
export const UdpStatus = {
  /** Every socket is bound and datagrams are being dispatched. */
  CONNECTED: 'connected',
  /** Not bound: before a successful listen, after a failed one, and after close. */
  DISCONNECTED: 'disconnected',
} as const;
export type UdpStatus = (typeof UdpStatus)[keyof typeof UdpStatus];

/**
 * Why the transport dropped a datagram it had accepted from the decoder, or a datagram it was
 * about to send. Decoder rejections are counted separately, under the decoder's own reasons.
 */
export const UdpDropReason = {
  /** The decoder threw instead of returning a rejection (a decoder bug). Nothing was dispatched. */
  DECODER_ERROR: 'decoder-error',
  /** No handler is registered for the decoded pattern. */
  UNROUTABLE: 'unroutable',
  /** The handler threw, rejected or errored its stream. Nothing is sent. */
  HANDLER_ERROR: 'handler-error',
  /** The handler produced something other than a Buffer, an array of Buffers, null or undefined. */
  INVALID_REPLY: 'invalid-reply',
  /** Sending would exceed the anti-reflection budget of the destination address. */
  AMPLIFICATION_LIMIT: 'amplification-limit',
  /** The operating system refused the send. */
  SEND_ERROR: 'send-error',
  /** A reply or send arrived while the server was not listening (before listen, during close). */
  NOT_LISTENING: 'not-listening',
} as const;
export type UdpDropReason = (typeof UdpDropReason)[keyof typeof UdpDropReason];

/**
 * Events of the transport, registered with `UdpServer.on(event, listener)`: the key is the event
 * name, the value the listener's signature. Listeners run synchronously on the receive path, so
 * they must be quick (increment a metric, no I/O). Arguments are positional so that an event
 * nobody listens to costs nothing.
 */
export type UdpEvents = {
  /** Every socket is bound; one entry per socket, the primary (wildcard or `host`) first. */
  listening: (addresses: readonly AddressInfo[]) => void;
  /** Every socket is closed. */
  close: () => void;
  /**
   * Something failed without stopping the transport: `UdpSocketError`, `UdpSendError`,
   * `UdpHandlerError` or `UdpDecoderError`. Emitted only when someone listens (an unheard
   * `error` never throws here).
   */
  error: (error: Error) => void;
  /** The decoder rejected a datagram: it was dropped without reply. */
  rejected: (reason: string, remote: RemoteInfo, detail: string | undefined) => void;
  /** The transport dropped an accepted datagram or an outgoing one (see {@link UdpDropReason}). */
  dropped: (reason: UdpDropReason, address: string, port: number) => void;
  /** A datagram was handed to the operating system (read it, do not keep or change it). */
  sent: (datagram: Uint8Array, address: string, port: number) => void;
};

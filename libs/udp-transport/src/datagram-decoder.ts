/**
 * A datagram the decoder accepted: `pattern` selects the handler (as `@MessagePattern(pattern)`)
 * and `data` is what the handler receives as its payload.
 */
export interface DecodedDatagram {
  readonly ok: true;
  readonly pattern: string;
  readonly data: unknown;
}

/**
 * A datagram the decoder refused. `reason` is a short stable token (it becomes a counter key and
 * a metric label, so keep the set small); `detail` is free text for debugging.
 */
export interface RejectedDatagram {
  readonly ok: false;
  readonly reason: string;
  readonly detail?: string;
}

/** What {@link DatagramDecoder.decode} returns. */
export type DecodeResult = DecodedDatagram | RejectedDatagram;

/**
 * The pluggable codec of the transport: it turns raw bytes into a routed message. The transport
 * never parses bytes itself.
 *
 * `decode` runs on the receive path for every datagram, so it must be cheap and must never throw
 * on hostile input: it returns a rejection instead. (If it throws anyway, the transport counts
 * the datagram as `decoder-error`, reports it and carries on.) It may keep a reference to
 * `datagram`: the transport does not reuse the buffer.
 */
export interface DatagramDecoder {
  decode(datagram: Buffer): DecodeResult;
}

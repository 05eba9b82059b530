/** True when a handler result is one datagram to send (a Buffer or any Uint8Array). */
export function isDatagram(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** True when a handler result is a list of datagrams, to be sent in order. */
export function isDatagramList(value: unknown): value is readonly Uint8Array[] {
  return Array.isArray(value) && value.every(isDatagram);
}

/** An operation was asked of the server in a state that does not allow it (listen twice, after close). */
export class UdpServerStateError extends Error {
  override readonly name = 'UdpServerStateError';
}

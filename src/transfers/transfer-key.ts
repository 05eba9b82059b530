/** Where a datagram came from. */
export interface RemoteEndpoint {
  readonly address: string;
  readonly port: number;
  /**
   * The gateway's own address the datagram was sent to, when the transport knows it (one socket
   * per address): frames pushed later must leave from it, or the Ethernet firmware ignores them.
   */
  readonly localAddress?: string;
}

/**
 * Devices of one batch may all carry id 99: a transfer is identified by client type, device id
 * and source address:port together.
 */
export function transferKey(clientType: number, deviceId: number, remote: RemoteEndpoint): string {
  return `${clientType}/${deviceId}@${remote.address}:${remote.port}`;
}

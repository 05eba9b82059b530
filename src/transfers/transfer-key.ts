/** Where a datagram came from. */
export interface RemoteEndpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * Devices of one batch may all carry id 99: a transfer is identified by client type, device id
 * and source address:port together.
 */
export function transferKey(clientType: number, deviceId: number, remote: RemoteEndpoint): string {
  return `${clientType}/${deviceId}@${remote.address}:${remote.port}`;
}

import type { UdpContext } from '#udp-transport';
import type { RemoteEndpoint } from '../common/transfer-model.js';

export function remoteOf(context: UdpContext): RemoteEndpoint {
  const { remoteAddress: address, remotePort: port, localAddress } = context;
  return localAddress === undefined ? { address, port } : { address, port, localAddress };
}

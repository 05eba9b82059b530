import type { UdpContext } from '#udp-transport';
import type { RemoteEndpoint } from '../transfers/transfer-key.js';

export function remoteOf(context: UdpContext): RemoteEndpoint {
  return { address: context.remoteAddress, port: context.remotePort };
}

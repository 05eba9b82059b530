export type { DatagramDecoder, DecodedDatagram, DecodeResult, RejectedDatagram } from './datagram-decoder.js';
export * from './errors/index.js';
export { AmplificationBudget, type AmplificationBudgetSettings } from './amplification-budget.js';
export { UdpContext, type UdpContextArgs } from './udp-context.js';
export { UdpDropReason, UdpStatus, type UdpEvents } from './udp-events.js';
export { EndOfTurn } from './end-of-turn.js';
export { UdpServer, type DirectHandler } from './udp-server.js';
export { isLoggableCount, Tally } from './tally.js';
export {
  UDP_SERVER_DEFAULTS,
  resolveUdpServerOptions,
  type ResolvedUdpServerOptions,
  type UdpServerOptions,
} from './udp-server-options.js';
export { UDP_TRANSPORT } from './udp-transport.id.js';
export { DATAGRAM_PATTERN, DatagramPattern, registerDatagramHandlers } from './datagram-pattern.js';

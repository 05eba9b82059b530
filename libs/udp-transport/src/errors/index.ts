export { UdpBindError } from './udp-bind.error.js';
export { UdpDecoderError } from './udp-decoder.error.js';
export { UdpHandlerError } from './udp-handler.error.js';
export { UdpOptionsError } from './udp-options.error.js';
export { UdpSendError } from './udp-send.error.js';
export { UdpServerStateError } from './udp-server-state.error.js';
export { UdpSocketError } from './udp-socket.error.js';

/**
 * Transport identifier of {@link UdpServer}. Pass it to `@MessagePattern(pattern, UDP_TRANSPORT)`
 * to bind a handler to this transport only in an application that runs several.
 */
export const UDP_TRANSPORT: unique symbol = Symbol('UDP_TRANSPORT');

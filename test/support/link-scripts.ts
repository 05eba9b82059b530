import type { LinkDirection } from '#camera-emulator';

/**
 * Byte tests for `LinkOptions.script` and `drop`: which frame a datagram is, seen from the
 * device (`outgoing`: what it sends, `incoming`: the gateway's replies). Byte 2 is the op in both
 * directions: 1 request / accept, 2 data packet / ACK, 3 end of transfer / missing list.
 */

/** Data packet `index` (any index when omitted), on its way to the gateway. */
export function isDataPacket(datagram: Buffer, direction: LinkDirection, index?: number): boolean {
  return direction === 'outgoing' && datagram[2] === 2 && (index === undefined || datagram[3] === index);
}

/** An end of transfer (op 3), on its way to the gateway. */
export function isEndOfTransfer(datagram: Buffer, direction: LinkDirection): boolean {
  return direction === 'outgoing' && datagram[2] === 3;
}

/** An ACK (status 0) of packet `index`, on its way to the device. */
export function isAckOf(datagram: Buffer, direction: LinkDirection, index: number): boolean {
  return direction === 'incoming' && datagram[2] === 2 && datagram[3] === index && datagram[4] === 0;
}

/** The answer k = 0 to an end of transfer ("every packet received"), on its way to the device. */
export function isAllReceived(datagram: Buffer, direction: LinkDirection): boolean {
  return direction === 'incoming' && datagram[2] === 3 && datagram[3] === 0;
}

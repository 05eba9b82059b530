import type { ImageArrival } from '../image-record.js';

/** What the transfer layer hands the store for an image (burst firmware, one clean round), for tests. */
export function testArrival(
  deviceId: number,
  acceptedAt: number,
  transferId: string,
  address = `10.0.0.${deviceId % 250}`,
): ImageArrival {
  return {
    transferId,
    clientType: 1,
    deviceId,
    source: { address, port: 44444 },
    flowMode: 'burst',
    packets: 1,
    packetSize: 1460,
    announcedSize: null,
    duplicates: 0,
    conflicts: 0,
    duplicateRequests: 0,
    endOfTransferRounds: 1,
    acceptedAt,
    firstPacketAt: acceptedAt,
    completedAt: acceptedAt,
  };
}

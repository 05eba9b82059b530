import type { ImageRecord } from '../storage/image-record.js';

/**
 * A record as the store writes one, for tests: device `deviceId` at 10.0.0.<id>, stored at
 * `storedAtMs`, with the given fields over it (an analysis, a review…).
 */
export function testRecord(
  deviceId: number,
  storedAtMs: number,
  analysis?: Record<string, unknown>,
  extra: Partial<ImageRecord> = {},
): ImageRecord {
  const at = new Date(storedAtMs).toISOString();
  const time = at.slice(11, 23).replace(/[:.]/g, '');
  return {
    imageId: `${at.slice(0, 10)}/${deviceId}_10.0.0.${deviceId}/${time}-${storedAtMs.toString(16)}`,
    file: `${time}.jpg`,
    clientType: 1,
    deviceId,
    source: { address: `10.0.0.${deviceId}`, port: 44444 },
    flowMode: 'burst',
    size: 1000,
    sha256: 'ab'.repeat(32),
    packets: 1,
    packetSize: 1460,
    announcedSize: null,
    duplicates: 0,
    conflicts: 0,
    duplicateRequests: 0,
    endOfTransferRounds: 1,
    timings: { acceptedAt: at, firstPacketAt: at, completedAt: at, storedAt: at, transferMs: 0 },
    ...(analysis ? { analysis } : {}),
    ...extra,
  };
}

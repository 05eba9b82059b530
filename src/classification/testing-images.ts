import type { StoredImage } from '../storage/image-record.js';
import type { ImageStore } from '../storage/image-store.js';

/**
 * Stores `photo` as a camera's upload of it would (one transfer at `at`, stop-and-wait at
 * P = 1460), with no analysis: an image for the classifier to find, for tests.
 */
export function storeTestImage(
  store: ImageStore,
  photo: Buffer,
  image: {
    readonly transferId: string;
    readonly deviceId: number;
    readonly port: number;
    readonly at: number;
  },
): Promise<StoredImage> {
  return store.save(photo, {
    transferId: image.transferId,
    clientType: 1,
    deviceId: image.deviceId,
    source: { address: '127.0.0.1', port: image.port },
    flowMode: 'stop-and-wait',
    packets: Math.ceil(photo.length / 1452),
    packetSize: 1460,
    announcedSize: null,
    duplicates: 0,
    conflicts: 0,
    duplicateRequests: 0,
    endOfTransferRounds: 0,
    acceptedAt: image.at,
    firstPacketAt: image.at,
    completedAt: image.at,
  });
}

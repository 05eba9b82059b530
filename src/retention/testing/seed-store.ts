import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageRecord } from '../../storage/image-record.js';
import { imageNameOf } from '../../storage/store-layout.js';
import type { ImageKind } from '../retention-policy.js';

/** An image to write into a store directly, as an earlier gateway would have left it. */
export interface SeedImage {
  readonly acceptedAt: number;
  readonly deviceId: number;
  readonly address?: string;
  /** What its sidecar says: no analysis, a pass, a defect, or a review. */
  readonly kind: ImageKind;
  readonly imageBytes: number;
  /** Leave out one of the two files, as a crash would. */
  readonly only?: 'image' | 'sidecar';
}

/** Where a seeded image lies. */
export interface SeededImage {
  readonly imageId: string;
  readonly imagePath: string;
  readonly sidecarPath: string;
}

const ANALYSES: Record<Exclude<ImageKind, 'unanalysed' | 'reviewed'>, object> = {
  normal: { status: 'analysed', verdict: 'pass', label: 'good', confidence: 0.93 },
  'kept-longer': { status: 'analysed', verdict: 'defect', label: 'kink', confidence: 0.88 },
};

/**
 * Writes images and sidecars into `root` the way `ImageStore` lays them out (for tests and the
 * benchmark: a store of months in seconds), with file times set to when they were stored.
 */
export function seedStore(root: string, images: readonly SeedImage[]): SeededImage[] {
  const folders = new Set<string>();
  return images.map((image, index) => {
    const accepted = new Date(image.acceptedAt).toISOString();
    const address = image.address ?? `10.0.0.${image.deviceId % 250}`;
    const { day, device, stem } = imageNameOf(
      image.acceptedAt,
      image.deviceId,
      address,
      index.toString(16).padStart(12, '0'),
    );
    const folder = join(root, day, device);
    if (!folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    const imagePath = join(folder, `${stem}.jpg`);
    const sidecarPath = join(folder, `${stem}.json`);
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xd8]),
      randomBytes(Math.max(0, image.imageBytes - 4)),
      Buffer.from([0xff, 0xd9]),
    ]);
    const record = {
      imageId: `${day}/${device}/${stem}`,
      file: `${stem}.jpg`,
      clientType: 1,
      deviceId: image.deviceId,
      source: { address, port: 44444 },
      flowMode: 'burst',
      size: bytes.length,
      sha256: '0'.repeat(64),
      packets: Math.ceil(bytes.length / 1452),
      packetSize: 1460,
      announcedSize: null,
      duplicates: 0,
      conflicts: 0,
      duplicateRequests: 0,
      endOfTransferRounds: 1,
      timings: {
        acceptedAt: accepted,
        firstPacketAt: accepted,
        completedAt: accepted,
        storedAt: accepted,
        transferMs: 0,
      },
      ...(image.kind === 'normal' || image.kind === 'kept-longer' ? { analysis: ANALYSES[image.kind] } : {}),
      ...(image.kind === 'reviewed'
        ? { analysis: ANALYSES.normal, review: { label: 'good', at: accepted } }
        : {}),
    } satisfies ImageRecord;
    const storedAt = new Date(image.acceptedAt);
    if (image.only !== 'sidecar') {
      writeFileSync(imagePath, bytes);
      utimesSync(imagePath, storedAt, storedAt);
    }
    if (image.only !== 'image') {
      writeFileSync(sidecarPath, JSON.stringify(record, null, 2) + '\n');
      utimesSync(sidecarPath, storedAt, storedAt);
    }
    return { imageId: record.imageId, imagePath, sidecarPath };
  });
}

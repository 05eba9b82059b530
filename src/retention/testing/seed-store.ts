import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageRecord } from '../../storage/image-record.js';
import { imageNameOf, sidecarRecordOf } from '../../storage/store-layout.js';
import { testArrival } from '../../storage/testing/test-arrival.js';
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
    const arrival = testArrival(
      image.deviceId,
      image.acceptedAt,
      index.toString(16).padStart(12, '0'),
      image.address,
    );
    const { day, device, stem } = imageNameOf(
      arrival.acceptedAt,
      arrival.deviceId,
      arrival.source.address,
      arrival.transferId,
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
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const record: ImageRecord = {
      ...sidecarRecordOf(arrival, { size: bytes.length, sha256 }, image.acceptedAt),
      ...(image.kind === 'normal' || image.kind === 'kept-longer' ? { analysis: ANALYSES[image.kind] } : {}),
      ...(image.kind === 'reviewed'
        ? {
            analysis: ANALYSES.normal,
            review: { label: 'good', at: new Date(image.acceptedAt).toISOString() },
          }
        : {}),
    };
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

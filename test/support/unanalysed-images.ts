import { readFile } from 'node:fs/promises';
import { FakeClock } from '../../src/common/fake-clock.js';
import { storeTestImage } from '../../src/classification/testing-images.js';
import { ImageStore } from '../../src/storage/image-store.js';

/**
 * Stores `count` copies of `photo` with no analysis into `storageDir`, as a gateway stopped before
 * classifying them would leave them; returns their sidecars, oldest first.
 */
export async function storeUnanalysed(storageDir: string, photo: Buffer, count: number): Promise<string[]> {
  const clock = new FakeClock(Date.now());
  const images = new ImageStore(storageDir, clock);
  const sidecars: string[] = [];
  for (let index = 0; index < count; index++) {
    clock.advance(1);
    const stored = await storeTestImage(images, photo, {
      transferId: `backlog${String(index).padStart(5, '0')}`,
      deviceId: index % 4,
      port: 44444,
      at: clock.now(),
    });
    sidecars.push(stored.sidecarPath);
  }
  return sidecars;
}

/** The `analysis` of a sidecar; undefined while the image is not analysed. */
export async function analysisOf(sidecarPath: string): Promise<{ status?: string } | undefined> {
  return JSON.parse(await readFile(sidecarPath, 'utf8')).analysis;
}

/**
 * The `analysis` of a sidecar once it is recorded, up to `timeoutMs` (the verdict reaches the
 * camera a moment before its sidecar has it); undefined if it never came.
 */
export async function recordedAnalysis(
  sidecarPath: string,
  timeoutMs = 5000,
): Promise<{ status?: string } | undefined> {
  const deadline = Date.now() + timeoutMs;
  let analysis = await analysisOf(sidecarPath);
  while (analysis === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    analysis = await analysisOf(sidecarPath);
  }
  return analysis;
}

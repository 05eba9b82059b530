import { readFile } from 'node:fs/promises';
import { FakeClock } from '../../src/common/fake-clock.js';
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
    const stored = await images.save(photo, {
      transferId: `backlog${String(index).padStart(5, '0')}`,
      clientType: 1,
      deviceId: index % 4,
      source: { address: '127.0.0.1', port: 44444 },
      flowMode: 'stop-and-wait',
      packets: 21,
      packetSize: 1460,
      announcedSize: null,
      duplicates: 0,
      conflicts: 0,
      duplicateRequests: 0,
      endOfTransferRounds: 0,
      acceptedAt: clock.now(),
      firstPacketAt: clock.now(),
      completedAt: clock.now(),
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

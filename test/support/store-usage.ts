import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** What the images and sidecars under a store take on disk, counted the way `du` does (dot entries aside). */
export interface StoreUsage {
  readonly bytes: number;
  readonly images: number;
  /** Allocated bytes of the largest image with its sidecar. */
  readonly largestImageBytes: number;
  /** Image ids (`<day>/<device>/<stem>`) of the whole images, in no order. */
  readonly imageIds: string[];
}

export async function storeUsage(root: string): Promise<StoreUsage> {
  let bytes = 0;
  let largestImageBytes = 0;
  const imageIds: string[] = [];
  const names = async (folder: string) =>
    (await readdir(folder).catch(() => [])).filter((name) => !name.startsWith('.'));
  for (const day of await names(root)) {
    for (const device of await names(join(root, day))) {
      const folder = join(root, day, device);
      const sizes = new Map<string, number>();
      for (const name of await names(folder)) {
        const info = await stat(join(folder, name)).catch(() => undefined);
        if (!info?.isFile()) continue;
        bytes += info.blocks * 512;
        sizes.set(name, info.blocks * 512);
      }
      for (const [name, size] of sizes) {
        if (!name.endsWith('.jpg')) continue;
        const sidecar = sizes.get(`${name.slice(0, -4)}.json`);
        if (sidecar === undefined) continue;
        imageIds.push(`${day}/${device}/${name.slice(0, -4)}`);
        largestImageBytes = Math.max(largestImageBytes, size + sidecar);
      }
    }
  }
  return { bytes, images: imageIds.length, largestImageBytes, imageIds };
}

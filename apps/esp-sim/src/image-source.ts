import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATA_HEADER_BYTES, MAX_PACKET_COUNT } from '#protocol';
import { syntheticJpeg } from '#camera-emulator';
import { UsageError } from './sim-options.js';

/** The image device `device` uploads as its `image`-th (both from 0). */
export type ImageSource = (device: number, image: number) => Buffer;

/** A JPEG file read from a folder. */
export interface ImageFile {
  readonly name: string;
  readonly bytes: Buffer;
}

/**
 * Distinct synthetic JPEGs of `size` bytes: each (device, image) pair gets its own bytes, derived
 * from `seed`, so every upload is a different image and a stored one can be traced to its sender.
 */
export function syntheticImages(size: number, seed: number): ImageSource {
  return (device, image) => syntheticJpeg(size, (seed * 0x9e37 + device * 0x1_0001 + image * 0x3d) >>> 0);
}

/** The files of a folder, given in turn: device d's image j is file `(d × images + j) mod count`. */
export function imagesFromFiles(files: readonly ImageFile[], imagesPerDevice: number): ImageSource {
  return (device, image) => files[(device * imagesPerDevice + image) % files.length]!.bytes;
}

const JPEG_NAME = /\.jpe?g$/i;

/**
 * Reads every `.jpg`/`.jpeg` file of `directory` (sorted by name) and checks that each can be
 * uploaded at every packet size in use.
 *
 * @param deployedPacketSizes the sizes the deployed firmware uses (generation C has no
 * exact-multiple bug): warnings are given for those alone.
 * @returns the files, and warnings for files the deployed firmware cannot finish sending.
 * @throws UsageError when the folder cannot be read, holds no JPEG, or holds one too large.
 */
export async function readImageFolder(
  directory: string,
  packetSizes: readonly number[],
  deployedPacketSizes: readonly number[] = packetSizes,
): Promise<{ files: ImageFile[]; warnings: string[] }> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => JPEG_NAME.test(name)).sort();
  } catch (error) {
    throw new UsageError(`--images-from ${directory}: ${(error as Error).message}`);
  }
  if (names.length === 0) throw new UsageError(`--images-from ${directory}: no .jpg or .jpeg file in it`);
  const files: ImageFile[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const name of names) {
    const bytes = await readFile(join(directory, name));
    for (const packetSize of packetSizes) {
      const payload = packetSize - DATA_HEADER_BYTES;
      if (bytes.length === 0) problems.push(`${name}: empty file`);
      else if (bytes.length > MAX_PACKET_COUNT * payload) {
        problems.push(
          `${name}: ${bytes.length} bytes; at P = ${packetSize} an image has at most ${MAX_PACKET_COUNT * payload}`,
        );
      } else if (bytes.length % payload === 0 && deployedPacketSizes.includes(packetSize)) {
        warnings.push(
          `${name}: ${bytes.length} bytes is an exact multiple of ${payload}: at P = ${packetSize} the deployed ` +
            'firmware never sends its last packet (known bug), so that upload fails',
        );
      }
    }
    files.push({ name, bytes });
  }
  if (problems.length > 0) throw new UsageError(`--images-from ${directory}:\n  ${problems.join('\n  ')}`);
  return { files, warnings };
}

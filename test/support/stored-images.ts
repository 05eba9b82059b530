import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

/** The fields of a sidecar the tests look at (the gateway writes more). */
export interface Sidecar {
  readonly imageId: string;
  readonly file: string;
  readonly deviceId: number;
  readonly source: { readonly address: string; readonly port: number };
  readonly flowMode: string;
  readonly size: number;
  readonly sha256: string;
  readonly packets: number;
  readonly packetSize: number;
  readonly announcedSize: number | null;
  readonly duplicates: number;
  /** Copies of a packet that came with other bytes than the ones kept. */
  readonly conflicts: number;
  readonly endOfTransferRounds: number;
}

/** An image found on disk through its sidecar. */
export interface StoredImage {
  readonly sidecarPath: string;
  readonly imagePath: string;
  readonly sidecar: Sidecar;
  readonly bytes: Buffer;
  /** sha256 of the bytes on disk, computed here. */
  readonly sha256: string;
}

/** What a device sent, to find it among the stored images. */
export interface SentImage {
  readonly image: Buffer;
  readonly deviceId: number;
  readonly source: { readonly address: string; readonly port: number };
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function* files(directory: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    // Dot entries are the gateway's own (temporary files, the transfer spool).
    if (entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Every image under `storageDir`, found through the `.json` sidecars; checks on the way that each
 * sits in `<yyyy-mm-dd>/<deviceId>_<address>/` and that its bytes match the sidecar's size and
 * sha256.
 */
export async function readStoredImages(storageDir: string): Promise<StoredImage[]> {
  const stored: StoredImage[] = [];
  for await (const path of files(storageDir)) {
    if (!path.endsWith('.json')) continue;
    const sidecar = JSON.parse(await readFile(path, 'utf8')) as Sidecar;
    const imagePath = join(dirname(path), sidecar.file);
    const bytes = await readFile(imagePath);
    const digest = sha256(bytes);
    const [day, device] = relative(storageDir, dirname(path)).split(sep);
    assert.match(day, /^\d{4}-\d{2}-\d{2}$/, `${path}: day directory`);
    assert.equal(device, `${sidecar.deviceId}_${sidecar.source.address}`, `${path}: device directory`);
    assert.equal(
      basename(imagePath, '.jpg'),
      basename(path, '.json'),
      `${path}: image and sidecar share a name`,
    );
    assert.equal(bytes.length, sidecar.size, `${imagePath}: size on disk and in the sidecar`);
    assert.equal(digest, sidecar.sha256, `${imagePath}: sha256 on disk and in the sidecar`);
    stored.push({ sidecarPath: path, imagePath, sidecar, bytes, sha256: digest });
  }
  return stored;
}

/**
 * Asserts that every sent image is stored exactly once, byte for byte, under its device and source,
 * and (unless `others` is true) that nothing else is stored. Returns the stored images in the order
 * of `sent`.
 */
export async function assertStored(
  storageDir: string,
  sent: readonly SentImage[],
  { others = false }: { others?: boolean } = {},
): Promise<StoredImage[]> {
  const stored = await readStoredImages(storageDir);
  const found = sent.map(({ image, deviceId, source }, position) => {
    const digest = sha256(image);
    const matches = stored.filter(
      (each) =>
        each.sha256 === digest &&
        each.sidecar.deviceId === deviceId &&
        each.sidecar.source.address === source.address &&
        each.sidecar.source.port === source.port,
    );
    assert.equal(
      matches.length,
      1,
      `image ${position} (${image.length} bytes from ${deviceId}@${source.address}:${source.port}) stored ${matches.length} times`,
    );
    assert.ok(matches[0].bytes.equals(image), `image ${position}: stored bytes differ from the bytes sent`);
    return matches[0];
  });
  if (!others) assert.equal(stored.length, sent.length, 'images stored beyond the ones sent');
  return found;
}

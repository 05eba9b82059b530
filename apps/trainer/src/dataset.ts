import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { InputSize, Preprocessing, PreprocessedImage, preprocessImage } from '#vision';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface LabelledFile {
  readonly path: string;
  readonly label: number;
}

export interface DatasetListing {
  /** Sub-folder names, sorted: the model's output order. */
  readonly labels: string[];
  readonly files: LabelledFile[];
}

/** One sub-folder (or link to one) per label, each holding images; hidden entries are ignored. */
export async function listDataset(dir: string): Promise<DatasetListing> {
  const labels: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const folder =
      entry.isDirectory() || (entry.isSymbolicLink() && (await stat(join(dir, entry.name))).isDirectory());
    if (folder) labels.push(entry.name);
  }
  labels.sort();
  if (labels.length < 2)
    throw new Error(`${dir} needs at least two label sub-folders, found ${labels.length}`);
  const files: LabelledFile[] = [];
  for (const [label, name] of labels.entries()) {
    const images = (await readdir(join(dir, name)))
      .filter((f) => !f.startsWith('.') && IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (images.length === 0) throw new Error(`${join(dir, name)} holds no images`);
    files.push(...images.map((f) => ({ path: join(dir, name, f), label })));
  }
  return { labels, files };
}

/** Decodes and preprocesses every file exactly as the gateway will at inference time. */
export async function loadImages(
  files: readonly LabelledFile[],
  size: InputSize,
  preprocessing: Preprocessing,
  onProgress?: (done: number, total: number) => void,
): Promise<PreprocessedImage[]> {
  const images: PreprocessedImage[] = [];
  for (const file of files) {
    images.push(await preprocessImage(await readFile(file.path), { size, preprocessing }));
    onProgress?.(images.length, files.length);
  }
  return images;
}

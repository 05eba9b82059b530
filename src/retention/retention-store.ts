import type { ImageKind } from './retention-policy.js';

/** One image of the store: its day folder, device folder and file name without extension. */
export interface ImageRef {
  readonly day: string;
  readonly device: string;
  readonly stem: string;
}

/** `<day>/<device>/<stem>`: the image id the store gives it. */
export function imageIdOf(ref: ImageRef): string {
  return `${ref.day}/${ref.device}/${ref.stem}`;
}

/**
 * The pruner's view of the store: synchronous, because it runs on a thread of its own (see
 * retention.worker.ts), where a blocking call blocks nobody. The disk (`DiskStore`) or, in tests,
 * a model of it.
 */
export interface RetentionStore {
  /** Day folders (yyyy-mm-dd), oldest first. */
  days(): string[];
  /** Device folders of a day, in no particular order. */
  devices(day: string): string[];
  /** File names without extension of the images in a device folder (a JPEG or a sidecar there), in no order. */
  stems(day: string, device: string): string[];
  /** The kind of an image, from its sidecar; undefined unless both files are there (being written, or a leftover). */
  inspect(ref: ImageRef): ImageKind | undefined;
  /**
   * Removes an image and its sidecar, unless `keep` says otherwise of the sidecar as it is now.
   * Returns the bytes freed, undefined when it kept the image or found it gone.
   */
  remove(ref: ImageRef, keep: (kind: ImageKind) => boolean): number | undefined;
  /** Removes the device folder if empty, then its day folder if empty. */
  removeFolderIfEmpty(day: string, device: string): void;
  /** Free space of the file system, undefined when it cannot be read. */
  freeBytes(): number | undefined;
}

import type { ImageKind } from '../retention-policy.js';
import type { ImageRef, RetentionStore } from '../retention-store.js';

/** One image of the model: its kind and the bytes it takes. */
export interface ModelImage {
  kind: ImageKind;
  readonly bytes: number;
}

/**
 * The store as the pruner sees it, in memory, with a file system of `fileSystemBytes` shared
 * with `otherBytes` of other files: for tests that run months of a line in seconds. It behaves
 * like `DiskStore`, down to a sidecar that changes between the pruner's look and its removal
 * (`beforeRemove`).
 */
export class ModelStore implements RetentionStore {
  readonly folders = new Map<string, Map<string, Map<string, ModelImage>>>();
  usedBytes = 0;
  otherBytes = 0;
  /** Called as an image is about to be removed, before its sidecar is read again. */
  beforeRemove: (ref: ImageRef, image: ModelImage) => void = () => undefined;
  /** Called once an image was removed, with the kind it had. */
  afterRemove: (ref: ImageRef, image: ModelImage) => void = () => undefined;

  constructor(readonly fileSystemBytes = Infinity) {}

  add(ref: ImageRef, kind: ImageKind, bytes: number): void {
    let devices = this.folders.get(ref.day);
    if (!devices) this.folders.set(ref.day, (devices = new Map()));
    let images = devices.get(ref.device);
    if (!images) devices.set(ref.device, (images = new Map()));
    images.set(ref.stem, { kind, bytes });
    this.usedBytes += bytes;
  }

  get(ref: ImageRef): ModelImage | undefined {
    return this.folders.get(ref.day)?.get(ref.device)?.get(ref.stem);
  }

  *all(): Generator<{ ref: ImageRef; image: ModelImage }> {
    for (const [day, devices] of this.folders) {
      for (const [device, images] of devices) {
        for (const [stem, image] of images) yield { ref: { day, device, stem }, image };
      }
    }
  }

  days(): string[] {
    return [...this.folders.keys()].sort();
  }

  devices(day: string): string[] {
    return [...(this.folders.get(day)?.keys() ?? [])];
  }

  stems(day: string, device: string): string[] {
    return [...(this.folders.get(day)?.get(device)?.keys() ?? [])];
  }

  inspect(ref: ImageRef): ImageKind | undefined {
    return this.get(ref)?.kind;
  }

  remove(ref: ImageRef, keep: (kind: ImageKind) => boolean): number | undefined {
    const image = this.get(ref);
    if (!image) return undefined;
    this.beforeRemove(ref, image);
    if (keep(image.kind)) return undefined;
    this.folders.get(ref.day)!.get(ref.device)!.delete(ref.stem);
    this.usedBytes -= image.bytes;
    this.afterRemove(ref, image);
    return image.bytes;
  }

  removeFolderIfEmpty(day: string, device: string): void {
    const devices = this.folders.get(day);
    if (devices?.get(device)?.size === 0) devices.delete(device);
    if (devices?.size === 0) this.folders.delete(day);
  }

  freeBytes(): number | undefined {
    return this.fileSystemBytes === Infinity
      ? undefined
      : this.fileSystemBytes - this.usedBytes - this.otherBytes;
  }
}

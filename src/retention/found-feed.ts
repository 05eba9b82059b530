import type { FoundImage } from './store-scan.js';

/**
 * The images the start-up scan finds, for one reader, as an async iterable: batches in the order
 * found (oldest day first), ending with the scan. The scan waits for every reader to take a
 * batch before it sends the next, so a slow reader holds memory for one batch, not the store.
 */
export class FoundFeed implements AsyncIterable<FoundImage> {
  private readonly batches: (readonly FoundImage[])[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    /** Sidecars are read for images of this day (yyyy-mm-dd) and later; undefined: none. */
    readonly recordsFromDay: string | undefined,
    private readonly onTaken: () => void,
  ) {}

  /** Whether the reader has taken every batch sent so far. */
  get drained(): boolean {
    return this.batches.length === 0;
  }

  push(batch: readonly FoundImage[]): void {
    this.batches.push(batch);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<FoundImage> {
    for (;;) {
      const batch = this.batches.shift();
      if (batch) {
        if (this.batches.length === 0) this.onTaken();
        yield* batch;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

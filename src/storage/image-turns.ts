/**
 * Makes the writes of one image (storing it, rewriting its sidecar, removing a crash leftover of
 * it) take turns, so that none sees the files of another half done. Images are named by their
 * path without extension; writes of different images never wait for each other.
 */
export class ImageTurns {
  private readonly under = new Map<string, Promise<void>>();

  /** Runs `work` once the write under way of the same image (if any) is done. The turn is taken at once. */
  async run<T>(image: string, work: () => Promise<T>): Promise<T> {
    const previous = this.under.get(image);
    const run = previous ? previous.then(work) : work();
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    this.under.set(image, done);
    try {
      return await run;
    } finally {
      if (this.under.get(image) === done) this.under.delete(image);
    }
  }
}

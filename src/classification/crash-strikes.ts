/** Deaths of the classifier process while working on an image, after which the image is given up. */
export const STRIKES_TO_GIVE_UP = 2;

/**
 * Which images the classifier process was working on each time it died. An image that kills the
 * decoder (or anything else in the process) would otherwise kill every restarted process in turn,
 * as each finds it again: once it was in progress at `STRIKES_TO_GIVE_UP` deaths, it is recorded
 * as failed instead of classified again.
 */
export class CrashStrikes {
  /** The images of the batches in progress now. */
  private current = new Set<string>();
  private readonly strikes = new Map<string, number>();

  /** A batch went to a worker. */
  inProgress(sidecarPaths: readonly string[]): void {
    for (const path of sidecarPaths) this.current.add(path);
  }

  /** Its analysis is recorded: it is no longer a suspect. */
  done(sidecarPath: string): void {
    this.current.delete(sidecarPath);
    this.strikes.delete(sidecarPath);
  }

  /** The process died: a strike for each image in progress. Returns how many there were. */
  crashed(): number {
    const struck = this.current.size;
    for (const path of this.current) this.strikes.set(path, (this.strikes.get(path) ?? 0) + 1);
    this.current = new Set();
    return struck;
  }

  isGivenUp(sidecarPath: string): boolean {
    return (this.strikes.get(sidecarPath) ?? 0) >= STRIKES_TO_GIVE_UP;
  }

  /** The images to record as failed, with why. */
  givenUp(): { sidecarPath: string; message: string }[] {
    return [...this.strikes]
      .filter(([, count]) => count >= STRIKES_TO_GIVE_UP)
      .map(([sidecarPath, count]) => ({
        sidecarPath,
        message: `the classifier process died ${count} times while analysing this image`,
      }));
  }
}

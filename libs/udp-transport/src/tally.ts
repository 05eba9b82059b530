/** Counts occurrences by key. */
export class Tally<Key extends string = string> {
  private readonly counts = new Map<Key, number>();

  /** Adds one to `key` and returns its new count. */
  increment(key: Key): number {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }

  /** The count of `key` (0 when never incremented). */
  get(key: Key): number {
    return this.counts.get(key) ?? 0;
  }

  /** A copy of every count, safe to keep and to mutate. */
  snapshot(): Map<Key, number> {
    return new Map(this.counts);
  }
}

/**
 * True for counts 1, 2, 4, 8…: failures that can repeat once per datagram are logged at those
 * counts only, so a flood cannot flood the logs (the counters and events still see every one).
 */
export function isLoggableCount(count: number): boolean {
  return count > 0 && Number.isInteger(Math.log2(count));
}

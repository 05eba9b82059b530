/**
 * Datagrams received, by message pattern: a plain counter object bumped on the receive path
 * (no allocation) and read by the metrics at scrape time.
 */
export class DatagramCounts {
  private readonly counts = new Map<string, number>();

  count(pattern: string): void {
    this.counts.set(pattern, (this.counts.get(pattern) ?? 0) + 1);
  }

  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }
}

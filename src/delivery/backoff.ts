/**
 * Waits between attempts: `minMs`, doubling at each failure up to `maxMs`, each with up to 20 %
 * taken off at random (so that gateways restarted together do not retry together); back to
 * `minMs` after a success.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt, after one more failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(base * (1 - 0.2 * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}

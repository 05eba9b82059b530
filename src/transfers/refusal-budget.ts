import type { Clock } from '../common/clock.js';
import { BoundedMap } from './bounded-map.js';

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * A token bucket per source address for refusals and NACKs: a source that keeps sending what
 * gets refused (a broken or hostile device) gets at most `perSecond` answers a second, in
 * bursts of twice that; the rest are dropped silently.
 */
export class RefusalBudget {
  private readonly buckets: BoundedMap<string, Bucket>;
  private readonly burst: number;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
    trackedAddresses: number,
  ) {
    this.burst = perSecond * 2;
    this.buckets = new BoundedMap(trackedAddresses);
  }

  /** Takes one token for `address`; false when its budget is spent. */
  take(address: string): boolean {
    const now = this.clock.now();
    const bucket = this.buckets.get(address) ?? { tokens: this.burst, refilledAt: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * this.perSecond);
    bucket.refilledAt = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(address, bucket);
    return allowed;
  }
}

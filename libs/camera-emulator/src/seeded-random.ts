/** Step of the Weyl sequence under the generator: 2^32 divided by the golden ratio, odd. */
const WEYL_STEP = 0x9e37_79b9;

/** Multipliers of the 32-bit avalanche mix applied to each step. */
const MIX_1 = 0x85eb_ca6b;
const MIX_2 = 0xc2b2_ae35;

const TWO_POW_32 = 0x1_0000_0000;

/**
 * A small deterministic pseudo-random generator: the same seed gives the same sequence on every
 * machine, so a lossy run can be replayed. A 32-bit counter stepped by an odd constant, each value
 * scrambled by an avalanche mix. Statistical quality is plenty for loss and jitter; it is not
 * cryptographic.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`);
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + WEYL_STEP) >>> 0;
    let mixed = this.state;
    mixed = Math.imul(mixed ^ (mixed >>> 16), MIX_1);
    mixed = Math.imul(mixed ^ (mixed >>> 13), MIX_2);
    mixed ^= mixed >>> 16;
    return (mixed >>> 0) / TWO_POW_32;
  }

  /** True with probability `probability` (0 never draws true, 1 always does). */
  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** `length` pseudo-random bytes. */
  bytes(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    for (let offset = 0; offset < length; offset++) bytes[offset] = this.below(256);
    return bytes;
  }

  /** A new generator whose sequence does not overlap this one's in practice (for a second stream). */
  fork(salt: number): SeededRandom {
    return new SeededRandom((Math.imul(this.state ^ salt, MIX_1) + salt) >>> 0);
  }
}

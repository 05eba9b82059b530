import { realClock, type EmulatorClock } from './emulator-clock.js';
import { SeededRandom } from './seeded-random.js';

/** Which way a datagram travels, seen from the device. */
export type LinkDirection = 'outgoing' | 'incoming';

/** What the link does to the datagrams of one direction. Every field defaults to 0 (a perfect link). */
export interface LinkConditions {
  /** Probability that a datagram is lost, 0..1. */
  readonly loss?: number;
  /** Probability that a datagram that got through arrives twice, 0..1. */
  readonly duplication?: number;
  /** Delay of every datagram, in milliseconds. */
  readonly delayMs?: number;
  /**
   * Extra delay drawn uniformly in [0, jitterMs) for each datagram and each copy: datagrams
   * closer together than the jitter arrive reordered.
   */
  readonly jitterMs?: number;
}

/** A link model: conditions for each direction, a seed, and an optional targeted drop. */
export interface LinkOptions {
  /** Seed of the link's generator: the same seed and the same traffic give the same losses. */
  readonly seed?: number;
  readonly outgoing?: LinkConditions;
  readonly incoming?: LinkConditions;
  /**
   * Drops the datagrams it returns true for, before the random conditions apply: lets a test lose
   * one exact datagram (say, the final ACK).
   */
  readonly drop?: (datagram: Buffer, direction: LinkDirection) => boolean;
  /** Times the delayed copies; the real clock by default. */
  readonly clock?: EmulatorClock;
}

/** What the link did to the datagrams of one direction. */
export interface LinkCounters {
  /** Datagrams handed to the link. */
  offered: number;
  /** Lost (randomly or by `drop`). */
  lost: number;
  /** Extra copies delivered. */
  duplicated: number;
  /** Copies delivered. */
  delivered: number;
}

/** Same conditions both ways. */
export function symmetricLink(conditions: LinkConditions, seed = 1): LinkOptions {
  return { seed, outgoing: conditions, incoming: conditions };
}

/** Salt of the incoming direction's generator, so both directions draw independent sequences. */
const INCOMING_SALT = 0x5bd1_e995;

/**
 * Loss, duplication, delay and reordering, applied to each datagram on its way out of the device
 * and on its way in (before the device sees it). Deterministic for a given seed and traffic.
 * Delayed copies wait on timers that {@link close} cancels.
 */
export class LossyLink {
  readonly counters: Readonly<Record<LinkDirection, LinkCounters>> = {
    outgoing: { offered: 0, lost: 0, duplicated: 0, delivered: 0 },
    incoming: { offered: 0, lost: 0, duplicated: 0, delivered: 0 },
  };
  private readonly random: Record<LinkDirection, SeededRandom>;
  private readonly timers = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: LinkOptions = {}) {
    for (const direction of ['outgoing', 'incoming'] as const) checkConditions(options[direction], direction);
    const outgoing = new SeededRandom(options.seed ?? 1);
    this.random = { outgoing, incoming: outgoing.fork(INCOMING_SALT) };
  }

  /**
   * Passes `datagram` through the link: `deliver` is called zero, one or two times, at once when
   * the link adds no delay (so order is kept), later otherwise.
   */
  carry(direction: LinkDirection, datagram: Buffer, deliver: (datagram: Buffer) => void): void {
    if (this.closed) return;
    const counters = this.counters[direction];
    counters.offered++;
    const conditions = this.options[direction] ?? {};
    const random = this.random[direction];
    if (this.options.drop?.(datagram, direction) || random.chance(conditions.loss ?? 0)) {
      counters.lost++;
      return;
    }
    const copies = random.chance(conditions.duplication ?? 0) ? 2 : 1;
    counters.duplicated += copies - 1;
    for (let copy = 0; copy < copies; copy++) {
      const delay = (conditions.delayMs ?? 0) + (conditions.jitterMs ?? 0) * random.next();
      this.schedule(delay, () => {
        counters.delivered++;
        deliver(datagram);
      });
    }
  }

  /** Cancels every delayed delivery; later datagrams are dropped. */
  close(): void {
    this.closed = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  private schedule(delayMs: number, run: () => void): void {
    if (delayMs <= 0) {
      run();
      return;
    }
    const cancel = (this.options.clock ?? realClock).setTimeout(() => {
      this.timers.delete(cancel);
      if (!this.closed) run();
    }, delayMs);
    this.timers.add(cancel);
  }
}

function checkConditions(conditions: LinkConditions | undefined, direction: LinkDirection): void {
  if (!conditions) return;
  for (const field of ['loss', 'duplication'] as const) {
    const value = conditions[field] ?? 0;
    if (!(value >= 0 && value <= 1)) {
      throw new RangeError(`${direction}.${field} must be a probability in 0..1, got ${String(value)}`);
    }
  }
  for (const field of ['delayMs', 'jitterMs'] as const) {
    const value = conditions[field] ?? 0;
    if (!(value >= 0 && Number.isFinite(value))) {
      throw new RangeError(`${direction}.${field} must be a non-negative number, got ${String(value)}`);
    }
  }
}

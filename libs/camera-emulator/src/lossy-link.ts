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

/**
 * When a scripted copy is delivered: after this many milliseconds, or once this promise settles
 * (the network held it until something else happened: "100 ms after the camera's next request").
 */
export type LinkDelay = number | PromiseLike<unknown>;

/**
 * Decides the fate of one datagram: when to deliver each of its copies (an empty list loses it,
 * two or more duplicate it), or undefined to leave it to the random conditions. `occurrence`
 * counts the byte-identical datagrams offered before it in the same direction (0 for the first),
 * so that a test can pick "the second answer k = 0" or "the first copy of packet 3".
 */
export type LinkScript = (
  datagram: Buffer,
  direction: LinkDirection,
  occurrence: number,
) => readonly LinkDelay[] | undefined;

/** A link model: conditions for each direction, a seed, an optional targeted drop and an optional script. */
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
  /**
   * Scripts exact datagrams (after `drop`, before the random conditions): a late copy, a lost
   * reply, an answer held back. See {@link LinkScript}.
   */
  readonly script?: LinkScript;
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
  /** Offers so far of each datagram, by direction and bytes; kept only when a script reads it. */
  private readonly occurrences: Record<LinkDirection, Map<string, number>> = {
    outgoing: new Map(),
    incoming: new Map(),
  };
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
    const occurrence = this.options.script ? this.countOccurrence(direction, datagram) : 0;
    if (this.options.drop?.(datagram, direction)) {
      counters.lost++;
      return;
    }
    const scripted = this.options.script?.(datagram, direction, occurrence);
    const delays = scripted ?? this.randomDelays(conditions, random);
    if (delays.length === 0) {
      counters.lost++;
      return;
    }
    counters.duplicated += delays.length - 1;
    for (const delay of delays) {
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

  /** What the random conditions do to one datagram: no copy (lost), one, or two, each with its delay. */
  private randomDelays(conditions: LinkConditions, random: SeededRandom): number[] {
    if (random.chance(conditions.loss ?? 0)) return [];
    const copies = random.chance(conditions.duplication ?? 0) ? 2 : 1;
    return Array.from(
      { length: copies },
      () => (conditions.delayMs ?? 0) + (conditions.jitterMs ?? 0) * random.next(),
    );
  }

  /** How many byte-identical datagrams were offered before this one in `direction`. */
  private countOccurrence(direction: LinkDirection, datagram: Buffer): number {
    const key = datagram.toString('latin1');
    const seen = this.occurrences[direction].get(key) ?? 0;
    this.occurrences[direction].set(key, seen + 1);
    return seen;
  }

  private schedule(delay: LinkDelay, run: () => void): void {
    if (typeof delay !== 'number') {
      const release = (): void => {
        if (!this.closed) run();
      };
      delay.then(release, release);
      return;
    }
    const delayMs = delay;
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

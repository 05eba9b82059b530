import { SeededRandom, type LinkConditions, type LinkOptions } from '#camera-emulator';
import type { LinkChoice } from './sim-options.js';

/** Salt of the generator that picks which datagrams are held back, apart from the link's own. */
const REORDER_SALT = 0x2f6b_3c1d;

/**
 * The link model of one device: the same loss and duplication each way, and reordering by random
 * delay: each datagram, with probability `reorder`, is held back a delay drawn uniformly below
 * `reorderDelayMs`, so that the datagrams sent after it overtake it; the others go at once.
 *
 * `LossyLink` applies one set of conditions to every datagram of a direction and reads them for
 * each datagram it carries, so the conditions are getters that draw, per datagram, whether this
 * one carries the delay. Deterministic for a given seed and traffic. Undefined: a perfect link.
 */
export function deviceLink(choice: LinkChoice, seed: number): LinkOptions | undefined {
  const { loss, duplicate, reorder, reorderDelayMs } = choice;
  if (loss === 0 && duplicate === 0 && reorder === 0) return undefined;
  const direct: LinkConditions = Object.freeze({ loss, duplication: duplicate });
  if (reorder === 0) return { seed, outgoing: direct, incoming: direct };
  const heldBack: LinkConditions = Object.freeze({ ...direct, jitterMs: reorderDelayMs });
  const outgoing = new SeededRandom((seed ^ REORDER_SALT) >>> 0);
  const incoming = outgoing.fork(REORDER_SALT);
  return {
    seed,
    get outgoing(): LinkConditions {
      return outgoing.chance(reorder) ? heldBack : direct;
    },
    get incoming(): LinkConditions {
      return incoming.chance(reorder) ? heldBack : direct;
    },
  };
}

import type { EmulatorClock } from '../emulator-clock.js';

interface VirtualTimer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** Waits until whatever the code under test started (promises, immediates, real I/O) has run. */
export type Settle = () => Promise<void>;

/** Lets the event loop run the promises and immediates already queued, a few turns deep. */
export const settleImmediates: Settle = async () => {
  for (let turn = 0; turn < 4; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/**
 * Simulated time for running many uploads, gateway and devices alike, in a fraction of the real
 * time: timers fire in order of their due time (then of creation), and time jumps from one to the
 * next only once everything the previous one started has settled. Deterministic for a given
 * sequence of timers, whatever the machine's load.
 */
export class VirtualTime implements EmulatorClock {
  private current: number;
  private created = 0;
  private readonly queue: VirtualTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): () => void {
    const timer: VirtualTimer = {
      at: this.current + Math.max(0, delayMs),
      order: this.created++,
      callback,
      cancelled: false,
    };
    // Kept sorted: inserting after every timer due no later than this one.
    let index = this.queue.length;
    while (index > 0 && this.queue[index - 1]!.at > timer.at) index--;
    this.queue.splice(index, 0, timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers waiting, cancelled ones aside. */
  get pendingTimers(): number {
    return this.queue.filter((timer) => !timer.cancelled).length;
  }

  /**
   * Fires timers in order, settling after each, until `done()` holds (true), or no timer is due
   * before `deadline` (false: the time is left at the deadline).
   */
  async runUntil(done: () => boolean, deadline: number, settle: Settle = settleImmediates): Promise<boolean> {
    for (;;) {
      await settle();
      if (done()) return true;
      const next = this.takeNext(deadline);
      if (!next) {
        this.current = Math.max(this.current, deadline);
        return false;
      }
      this.current = next.at;
      next.callback();
    }
  }

  /** Fires every timer due up to `now + ms`, settling after each, and leaves the time there. */
  async advance(ms: number, settle: Settle = settleImmediates): Promise<void> {
    await this.runUntil(() => false, this.current + ms, settle);
  }

  private takeNext(deadline: number): VirtualTimer | undefined {
    while (this.queue.length > 0) {
      const first = this.queue[0]!;
      if (first.cancelled) {
        this.queue.shift();
        continue;
      }
      if (first.at > deadline) return undefined;
      return this.queue.shift();
    }
    return undefined;
  }
}

import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Where Linux lists the threads of this process. */
const TASKS = '/proc/self/task';

/** New threads (a restarted worker, libvips' own) are found this often. */
const BACKGROUND_SWEEP_MS = 5000;

/**
 * Lowers the scheduling priority (raises the niceness) of every thread of the process but the
 * main one: the classifier workers, the libuv pool that runs their decodes, libvips' threads. When
 * the cores are busy, the event loop that answers the cameras then runs first, and a flood of
 * images to classify waits instead of the ACKs. Raising niceness needs no privilege; Linux keeps
 * it per thread. Elsewhere (no /proc) it does nothing.
 */
export class BackgroundPriority {
  private timer: NodeJS.Timeout | undefined;

  /** @param nice 1 to 19; 0 leaves every priority alone. */
  constructor(private readonly nice: number) {}

  /** Lowers the background threads now and, from then on, the ones that appear. */
  start(): void {
    if (this.nice === 0 || this.timer) return;
    this.sweep();
    this.timer = setInterval(() => this.sweep(), BACKGROUND_SWEEP_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Lowers every background thread not yet at `nice`; returns how many it lowered. */
  sweep(): number {
    let threads: string[];
    try {
      threads = readdirSync(TASKS);
    } catch {
      return 0;
    }
    let lowered = 0;
    for (const name of threads) {
      const thread = Number(name);
      // The main thread's id is the process id.
      if (thread === process.pid) continue;
      try {
        if (getPriority(thread) >= this.nice) continue;
        setPriority(thread, this.nice);
        lowered++;
      } catch {
        // The thread ended meanwhile.
      }
    }
    return lowered;
  }
}

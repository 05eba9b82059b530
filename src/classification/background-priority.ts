import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Where Linux lists the threads of this process. */
const TASKS = '/proc/self/task';

/** New threads (a restarted worker, libvips' own) are found this often. */
const BACKGROUND_SWEEP_MS = 5000;

/**
 * Lowers the scheduling priority (raises the niceness) of the threads of this process: in the
 * classifier process every one of them (its main thread, the classifier workers, the libuv pool
 * that runs their decodes, libvips' threads), so that when the cores are busy the gateway's event
 * loop, in its own process, runs first and a flood of images to classify waits instead of the
 * ACKs. Linux keeps niceness per thread and a new thread starts with its creator's, which is why
 * the threads V8 made before any code ran are swept too. Raising niceness needs no privilege.
 * Elsewhere (no /proc) it does nothing.
 */
export class BackgroundPriority {
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param nice 1 to 19; 0 leaves every priority alone.
   * @param mainThreadToo lower the main thread as well (a process that is all background work).
   */
  constructor(
    private readonly nice: number,
    private readonly mainThreadToo = false,
  ) {}

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

  /** Lowers every thread concerned not yet at `nice`; returns how many it lowered. */
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
      if (thread === process.pid && !this.mainThreadToo) continue;
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

/**
 * Puts every thread of this process under Linux's SCHED_IDLE policy (with util-linux's `chrt`;
 * threads made later inherit it): the process then runs only on CPU time no other process wants,
 * and any other that wakes (the gateway's event loop, answering a camera) takes the CPU from it
 * at once, where niceness alone leaves it a share and lets it finish its slice. Needs no
 * privilege. Returns why it could not (no `chrt`, not Linux), or undefined.
 */
export function useIdleSchedulingPolicy(): string | undefined {
  try {
    execFileSync('chrt', ['--idle', '--all-tasks', '--pid', '0', String(process.pid)], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

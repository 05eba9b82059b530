import type { VirtualTime } from '#camera-emulator';
import type { Clock, TimerHandle } from '../../common/clock.js';

/**
 * The gateway's {@link Clock} over simulated time, for one simulated process: once the process is
 * killed, none of its timers fires again (a killed process runs nothing).
 */
export class ProcessClock implements Clock {
  private dead = false;

  constructor(private readonly time: VirtualTime) {}

  kill(): void {
    this.dead = true;
  }

  now(): number {
    return this.time.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const cancel = this.time.setTimeout(() => {
      if (!this.dead) callback();
    }, delayMs);
    return { cancel };
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    let cancelNext = (): void => undefined;
    const schedule = (): void => {
      cancelNext = this.time.setTimeout(() => {
        if (this.dead) return;
        schedule();
        callback();
      }, intervalMs);
    };
    schedule();
    return { cancel: () => cancelNext() };
  }
}

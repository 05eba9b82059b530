import type { Clock, TimerHandle } from './clock.js';

interface ScheduledTimer {
  readonly id: number;
  dueAt: number;
  readonly intervalMs: number | undefined;
  readonly callback: () => void;
}

/** A clock for tests: time moves only when `advance` says so, firing due timers in order. */
export class FakeClock implements Clock {
  private nextId = 0;
  private readonly timers = new Map<number, ScheduledTimer>();

  constructor(private currentTime = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.currentTime;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.schedule(callback, delayMs, undefined);
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    return this.schedule(callback, intervalMs, intervalMs);
  }

  /** Moves time forward, running every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.currentTime + ms;
    for (;;) {
      const due = [...this.timers.values()]
        .filter((t) => t.dueAt <= target)
        .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)[0];
      if (!due) break;
      this.currentTime = due.dueAt;
      if (due.intervalMs === undefined) this.timers.delete(due.id);
      else due.dueAt += due.intervalMs;
      due.callback();
    }
    this.currentTime = target;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private schedule(callback: () => void, delayMs: number, intervalMs: number | undefined): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, dueAt: this.currentTime + Math.max(0, delayMs), intervalMs, callback });
    return { cancel: () => this.timers.delete(id) };
  }
}

import type { EmulatorClock } from '#camera-emulator';

interface Timer {
  readonly at: number;
  readonly callback: () => void;
  handle: NodeJS.Timeout | undefined;
}

/**
 * The real clock, which a test can stop and start again: while it is stopped, time does not pass
 * for whatever runs on it (an emulated camera's timeouts and pauses). A test of "the gateway
 * restarts within 2 s" stops its camera's clock once those 2 s are over and starts it again when
 * the next process answers: the camera lives through the outage the scenario describes, however
 * long the machine takes to boot a process.
 */
export class StoppableClock implements EmulatorClock {
  private readonly timers = new Set<Timer>();
  private stoppedAt: number | undefined;
  private stoppedFor = 0;

  now(): number {
    return (this.stoppedAt ?? performance.now()) - this.stoppedFor;
  }

  get stopped(): boolean {
    return this.stoppedAt !== undefined;
  }

  setTimeout(callback: () => void, delayMs: number): () => void {
    const timer: Timer = { at: this.now() + Math.max(0, delayMs), callback, handle: undefined };
    this.timers.add(timer);
    if (!this.stopped) this.arm(timer);
    return () => {
      clearTimeout(timer.handle);
      this.timers.delete(timer);
    };
  }

  /** Time stops: no timer fires until `start`. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stoppedAt = performance.now();
    for (const timer of this.timers) clearTimeout(timer.handle);
  }

  /** Time passes again from where it stopped. Idempotent. */
  start(): void {
    if (this.stoppedAt === undefined) return;
    this.stoppedFor += performance.now() - this.stoppedAt;
    this.stoppedAt = undefined;
    for (const timer of this.timers) this.arm(timer);
  }

  private arm(timer: Timer): void {
    timer.handle = setTimeout(
      () => {
        this.timers.delete(timer);
        timer.callback();
      },
      Math.max(0, timer.at - this.now()),
    );
  }
}

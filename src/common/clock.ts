/** A cancellable timer handle, whatever clock made it. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time for everything that expires or repeats. Injected so tests drive time by hand
 * (`FakeClock`) instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once after `delayMs`. The timer never keeps the process alive. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Runs `callback` every `intervalMs`. The timer never keeps the process alive. */
  setInterval(callback: () => void, intervalMs: number): TimerHandle;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  setInterval(callback, intervalMs) {
    const timer = setInterval(callback, intervalMs);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};

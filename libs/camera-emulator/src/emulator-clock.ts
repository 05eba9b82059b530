/**
 * Where an emulated device reads time and sets its timers: the real clock by default, a virtual
 * one ({@link VirtualTime}) when a test runs thousands of uploads in simulated time.
 */
export interface EmulatorClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `callback` once after `delayMs`; returns what cancels it. */
  setTimeout(callback: () => void, delayMs: number): () => void;
}

export const realClock: EmulatorClock = Object.freeze({
  now: () => performance.now(),
  setTimeout(callback: () => void, delayMs: number): () => void {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
});

/**
 * Resolves after `ms` on `clock`, or rejects with `onAbort()` as soon as `signal` aborts (at once
 * when it already has).
 */
export function sleepOn(
  clock: EmulatorClock,
  ms: number,
  signal: AbortSignal,
  onAbort: () => Error,
): Promise<void> {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      cancel();
      reject(onAbort());
    };
    const cancel = clock.setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}

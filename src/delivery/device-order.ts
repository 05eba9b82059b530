/** One image of a device, stored, waiting for its result in the order stored. */
interface Waiting<T> {
  readonly imageId: string;
  readonly storedAt: number;
  result: T | undefined;
}

/**
 * Puts each device's results back in the order its images were stored: the classifier records
 * the analyses of one batch concurrently, so they come in any order. A result waits for those of
 * the device's earlier images, at most `waitMs` after such an earlier image was stored; past
 * that it no longer waits for it (that one is released whenever it comes). Results of images this
 * process did not see stored (analysed from the backlog) pass at once.
 */
export class DeviceOrder<T> {
  private readonly devices = new Map<string, Waiting<T>[]>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly waitMs: number,
    private readonly release: (result: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  stored(deviceKey: string, imageId: string): void {
    const queue = this.devices.get(deviceKey) ?? [];
    this.devices.set(deviceKey, queue);
    queue.push({ imageId, storedAt: this.now(), result: undefined });
    this.scheduleSweep();
  }

  analysed(deviceKey: string, imageId: string, result: T): void {
    const queue = this.devices.get(deviceKey);
    const waiting = queue?.find((entry) => entry.imageId === imageId);
    if (!queue || !waiting) {
      this.release(result);
      return;
    }
    waiting.result = result;
    this.flush(deviceKey, queue);
  }

  /** Releases everything held, in order (at shutdown). */
  drain(): void {
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const queue of this.devices.values())
      for (const entry of queue) if (entry.result !== undefined) this.release(entry.result);
    this.devices.clear();
  }

  private flush(deviceKey: string, queue: Waiting<T>[]): void {
    const expired = this.now() - this.waitMs;
    while (queue.length > 0 && (queue[0]!.result !== undefined || queue[0]!.storedAt <= expired)) {
      const head = queue.shift()!;
      if (head.result !== undefined) this.release(head.result);
    }
    if (queue.length === 0) this.devices.delete(deviceKey);
  }

  private scheduleSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      for (const [deviceKey, queue] of this.devices) this.flush(deviceKey, queue);
      if (this.devices.size > 0) this.scheduleSweep();
    }, this.waitMs);
    this.sweepTimer.unref();
  }
}

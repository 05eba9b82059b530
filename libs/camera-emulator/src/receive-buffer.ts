import { realClock, type EmulatorClock } from './emulator-clock.js';
import { UploadStopped } from './upload-stopped.js';

/** Capacity of a {@link ReceiveBuffer}. */
export interface ReceiveBufferOptions {
  /** Bytes the buffer holds, overhead included; Infinity: no limit. */
  readonly capacityBytes: number;
  /** What each datagram costs beyond its own length (generation B's chip header: 8). */
  readonly overheadBytes: number;
  /** Times the reads out; the real clock by default. */
  readonly clock?: EmulatorClock;
}

/**
 * What a device's network stack holds for it between two reads: datagrams in arrival order, the
 * oldest read first. While nobody reads, datagrams pile up within the capacity, each costing its
 * length plus the overhead; beyond it they are dropped (generation B's 8 KB chip). A reader
 * already waiting takes a datagram as it arrives, so it costs no room.
 */
export class ReceiveBuffer {
  private readonly queue: Buffer[] = [];
  private heldBytes = 0;
  private droppedCount = 0;
  private waiter: ((datagram: Buffer | undefined) => void) | undefined;
  private readonly clock: EmulatorClock;

  constructor(private readonly options: ReceiveBufferOptions) {
    this.clock = options.clock ?? realClock;
  }

  /** Bytes held now, overhead included. */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  /** Datagrams held now. */
  get length(): number {
    return this.queue.length;
  }

  /** Datagrams dropped for want of room since the buffer was made. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Hands a datagram to the waiting reader, or keeps it; false when it was dropped for want of room. */
  push(datagram: Buffer): boolean {
    if (this.waiter) {
      this.waiter(datagram);
      return true;
    }
    const cost = datagram.length + this.options.overheadBytes;
    if (this.heldBytes + cost > this.options.capacityBytes) {
      this.droppedCount++;
      return false;
    }
    this.queue.push(datagram);
    this.heldBytes += cost;
    return true;
  }

  /**
   * The oldest datagram held, or the next to arrive within `timeoutMs`; undefined when none came.
   * One reader at a time.
   *
   * @throws UploadStopped when `signal` aborts while waiting (its reason).
   */
  read(timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
    if (signal.aborted) return Promise.reject(UploadStopped.from(signal));
    const oldest = this.queue.shift();
    if (oldest !== undefined) {
      this.heldBytes -= oldest.length + this.options.overheadBytes;
      return Promise.resolve(oldest);
    }
    if (this.waiter) return Promise.reject(new Error('a read is already waiting on this buffer'));
    if (timeoutMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        cancelTimer?.();
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
      };
      const onAbort = (): void => {
        settle();
        reject(UploadStopped.from(signal));
      };
      const cancelTimer = Number.isFinite(timeoutMs)
        ? this.clock.setTimeout(() => {
            settle();
            resolve(undefined);
          }, timeoutMs)
        : undefined;
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = (datagram) => {
        settle();
        resolve(datagram);
      };
    });
  }

  /** Forgets every datagram held. */
  clear(): void {
    this.queue.length = 0;
    this.heldBytes = 0;
  }
}

import type { Clock, TimerHandle } from '../common/clock.js';
import type { FlowMode } from './transfer.js';

/**
 * Tells stop-and-wait firmware from burst firmware on a device's first transfer, without
 * configuration. A stop-and-wait device sends nothing after packet 0 until packet 0 is ACKed;
 * a burst device goes on at once. So the ACK of packet 0 is held back: if another datagram of
 * the transfer arrives within the window, the device bursts (and must get no per-packet ACK);
 * if the window passes in silence, it waits, and gets its ACK then.
 */
export class FlowProbe {
  /** Resolves with the mode once decided, after `onDecided` ran. */
  readonly decided: Promise<FlowMode>;
  private resolve!: (mode: FlowMode) => void;
  private settled = false;
  private readonly timer: TimerHandle;

  constructor(
    clock: Clock,
    windowMs: number,
    private readonly onDecided: (mode: FlowMode) => void,
  ) {
    this.decided = new Promise((resolve) => (this.resolve = resolve));
    this.timer = clock.setTimeout(() => this.decide('stop-and-wait'), windowMs);
  }

  /** Ends the probe (early when another datagram shows the device bursts); later calls do nothing. */
  decide(mode: FlowMode): void {
    if (this.settled) return;
    this.settled = true;
    this.timer.cancel();
    this.onDecided(mode);
    this.resolve(mode);
  }
}

import type { Clock, TimerHandle } from '../common/clock.js';
import type { FlowMode } from './transfer.js';

/** Bytes still unread in the gateway's receive queue; undefined when the system cannot tell. */
export type ReceiveBacklog = () => Promise<number | undefined>;

export const RECEIVE_BACKLOG = Symbol('RECEIVE_BACKLOG');

/** While datagrams are still queued at the window's end, look again this often… */
const BACKLOG_RECHECK_MS = 5;
/** …for at most this many windows more, then decide anyway. */
const MAX_EXTRA_WINDOWS = 10;

/**
 * Tells stop-and-wait firmware from burst firmware on a device's first transfer, without
 * configuration. A stop-and-wait device sends nothing after packet 0 until packet 0 is ACKed;
 * a burst device goes on at once. So the ACK of packet 0 is held back: if another datagram of
 * the transfer arrives within the window, the device bursts (and must get no per-packet ACK);
 * if the window passes in silence, it waits, and gets its ACK then.
 *
 * Silence must be real: a busy gateway may still have the device's packet 1 unread in its
 * socket when the window ends. So the decision waits until the kernel's receive queue has been
 * read down (bounded), and until the datagrams read meanwhile were handled.
 */
export class FlowProbe {
  /** Resolves with the mode once decided, after `onDecided` ran. */
  readonly decided: Promise<FlowMode>;
  private resolve!: (mode: FlowMode) => void;
  private settled = false;
  private timer: TimerHandle;
  private readonly giveUpWaitingAt: number;

  constructor(
    private readonly clock: Clock,
    windowMs: number,
    private readonly backlog: ReceiveBacklog,
    private readonly onDecided: (mode: FlowMode) => void,
  ) {
    this.decided = new Promise((resolve) => (this.resolve = resolve));
    this.giveUpWaitingAt = clock.now() + windowMs * (1 + MAX_EXTRA_WINDOWS);
    this.timer = clock.setTimeout(() => void this.windowEnded(), windowMs);
  }

  /** Ends the probe (early when another datagram shows the device bursts); later calls do nothing. */
  decide(mode: FlowMode): void {
    if (this.settled) return;
    this.settled = true;
    this.timer.cancel();
    this.onDecided(mode);
    this.resolve(mode);
  }

  private async windowEnded(): Promise<void> {
    const queued = await this.backlog().catch(() => undefined);
    if (this.settled) return;
    if (queued !== undefined && queued > 0 && this.clock.now() < this.giveUpWaitingAt) {
      this.timer = this.clock.setTimeout(() => void this.windowEnded(), BACKLOG_RECHECK_MS);
      return;
    }
    // setImmediate runs after the poll phase: datagrams already received are handled first.
    setImmediate(() => this.decide('stop-and-wait'));
  }
}

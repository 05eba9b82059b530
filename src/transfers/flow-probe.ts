import type { EndOfTurn } from '#udp-transport';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { FlowMode } from '../common/transfer-model.js';
import type { ReceiveBacklog } from '../udp/receive-backlog.js';

/** While datagrams are still queued at the window's end, look again this often… */
const BACKLOG_RECHECK_MS = 5;
/** …for at most this many windows more, then decide anyway. */
const MAX_EXTRA_WINDOWS = 10;

export type DecidedMode = Exclude<FlowMode, 'probing'>;

/**
 * Tells stop-and-wait firmware from burst firmware when a transfer's pacing is not known, without
 * configuration. A stop-and-wait device sends nothing after a packet until that packet is ACKed;
 * a burst device goes on at once. So the reply to the first packet is held back: if another
 * packet of the transfer (another index) or its end of transfer arrives within the window, the
 * device bursts (and must get no per-packet ACK); if the window passes in silence, it waits, and
 * gets its ACK then.
 *
 * Silence must be real: a busy gateway may still have the device's next packet unread in its
 * socket when the window ends. So the decision waits until the kernel's receive queue has been
 * read down (bounded), and is taken at the end of a turn, once the datagrams read meanwhile were
 * handled.
 */
export class FlowProbe {
  /** Resolves with the mode once decided, after `onDecided` ran. */
  readonly decided: Promise<DecidedMode>;
  private resolve!: (mode: DecidedMode) => void;
  private settled = false;
  private timer: TimerHandle;
  private readonly giveUpWaitingAt: number;

  constructor(
    private readonly clock: Clock,
    windowMs: number,
    private readonly backlog: ReceiveBacklog,
    private readonly turn: EndOfTurn,
    private readonly onDecided: (mode: DecidedMode) => void,
  ) {
    this.decided = new Promise((resolve) => (this.resolve = resolve));
    this.giveUpWaitingAt = clock.now() + windowMs * (1 + MAX_EXTRA_WINDOWS);
    this.timer = clock.setTimeout(() => void this.windowEnded(), windowMs);
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** Ends the probe (early when another datagram shows the device bursts); later calls do nothing. */
  decide(mode: DecidedMode): void {
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
    this.turn.defer(() => this.decide('stop-and-wait'));
  }
}

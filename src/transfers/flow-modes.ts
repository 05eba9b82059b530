import type { EndOfTurn } from '#udp-transport';
import type { Clock } from '../common/clock.js';
import type { CompletedTransfer } from '../common/transfer-model.js';
import { isPacketOf } from './completed-transfer.js';
import { FlowProbe, type DecidedMode } from './flow-probe.js';
import type { ReceiveBacklog } from '../udp/receive-backlog.js';
import type { Transfer } from './transfer.js';
import type { TransferJournal } from './transfer-journal.js';
import type { TransferLimits } from './transfer-limits.js';

/**
 * How each transfer's device paces its packets, learnt and corrected from the traffic:
 *
 * - a transfer starts stop-and-wait when its device's last transfer was (a hint), probing
 *   otherwise: the reply to its first packet waits for the {@link FlowProbe};
 * - an end of transfer shows burst firmware, whatever was believed;
 * - a packet sent again after the duplicate window (a retry, not a network copy), with no end of
 *   transfer since, shows stop-and-wait firmware (generation A at an address a generation-B
 *   camera used before);
 * - a packet whose bytes are the previous image's at that index may be a late copy of it: it
 *   starts no probe (the silence after it would say nothing of the device) and gets no reply,
 *   until the device sends it again after the duplicate window (then it is the device's own);
 * - every decision and correction is journaled before any reply that depends on it leaves.
 */
export class FlowModes {
  private readonly probes = new WeakMap<Transfer, { probe: FlowProbe; index: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: TransferLimits,
    private readonly backlog: ReceiveBacklog,
    private readonly turn: EndOfTurn,
    private readonly journal: TransferJournal,
  ) {}

  /**
   * The mode to answer data packet `index` by: decided, a promise of it while the probe runs, or
   * `undefined` while nothing is known and the packet may be a late copy (no reply then).
   * `resend`: an identical copy of a packet already held; `previous`: the record of the device's
   * last stored image (a late copy of one of its packets proves nothing about the pacing).
   */
  forData(
    transfer: Transfer,
    index: number,
    payload: Buffer,
    resend: boolean,
    previous: CompletedTransfer | undefined,
  ): DecidedMode | Promise<DecidedMode> | undefined {
    const mode = transfer.flowMode;
    if (mode === 'stop-and-wait') return mode;
    const now = this.clock.now();
    if (mode === 'burst') {
      if (resend && transfer.isResentByStopAndWait(index, now, this.limits.duplicateWindowMs)) {
        this.settle(transfer, 'stop-and-wait');
        return 'stop-and-wait';
      }
      return mode;
    }
    const running = this.probes.get(transfer);
    if (running) {
      if (running.index === index || (previous && isPacketOf(previous, index, payload)))
        return running.probe.decided;
      running.probe.decide('burst');
      return 'burst';
    }
    if (previous && isPacketOf(previous, index, payload)) {
      if (!resend || !transfer.isResentByStopAndWait(index, now, this.limits.duplicateWindowMs))
        return undefined;
      this.settle(transfer, 'stop-and-wait');
      return 'stop-and-wait';
    }
    const probe = new FlowProbe(this.clock, this.limits.flowProbeMs, this.backlog, this.turn, (decided) =>
      this.settle(transfer, decided),
    );
    this.probes.set(transfer, { probe, index });
    return probe.decided;
  }

  /** Only burst firmware sends an end of transfer. */
  endOfTransfer(transfer: Transfer): void {
    const running = this.probes.get(transfer);
    if (running && !running.probe.isSettled) running.probe.decide('burst');
    else this.settle(transfer, 'burst');
  }

  /** The transfer ends: a probe still running decides with what is known, so no reply waits forever. */
  ended(transfer: Transfer): void {
    const running = this.probes.get(transfer);
    if (running && !running.probe.isSettled)
      running.probe.decide(transfer.flowMode === 'probing' ? 'stop-and-wait' : transfer.flowMode);
    this.probes.delete(transfer);
  }

  private settle(transfer: Transfer, mode: DecidedMode): void {
    this.probes.delete(transfer);
    if (transfer.learnFlowMode(mode)) this.journal.recordFlowMode(transfer);
  }
}

import { ReplyStatus } from '#protocol';
import type { EndOfTurn } from '#udp-transport';
import type { CompletedTransfer } from '../common/transfer-model.js';
import type { Spool, SpoolRecovery } from '../spool/spool.js';
import type { Transfer } from './transfer.js';

/** Injection token of the `Spool` (null when SPOOL_ENABLED is false). */
export const TRANSFER_SPOOL = Symbol('TRANSFER_SPOOL');

/** Byte of an ACK `[1, id, 2, i, status, L(4)]` that holds its status. */
const ACK_STATUS_BYTE = 4;

/** Told of each packet whose record the turn's write lost: it is not kept, the device sends it again. */
export type UnwrittenPacket = (transfer: Transfer, index: number) => void;

/**
 * The transfer layer's side of the spool: what each transfer's records are, and the promise that
 * no reply leaves before the records it stands for are written. The spool's write of a turn runs
 * at the turn's end ({@link EndOfTurn}), before its replies are released; an ACK built during
 * the turn is guarded: if the write fails, the packet is taken back and the ACK becomes, in
 * place, a NACK for storage failure (the device resends it). Without a spool (SPOOL_ENABLED
 * false) every method does nothing.
 */
export class TransferJournal {
  private readonly guardedTransfers: Transfer[] = [];
  private readonly guardedIndices: number[] = [];
  private readonly guardedReplies: Buffer[] = [];

  constructor(
    private readonly spool: Spool | null,
    turn: EndOfTurn,
    private readonly unwritten: UnwrittenPacket,
  ) {
    turn.onPersist(() => this.persist());
  }

  get enabled(): boolean {
    return this.spool !== null;
  }

  /** Reads what a previous process left; `settle` once what is kept was begun again. */
  recover(now: number): Promise<SpoolRecovery> | undefined {
    return this.spool?.recover(now);
  }

  /** Writes what was recovered and begun again; false when it could not be (the old files are kept). */
  settle(): boolean {
    return this.spool?.segments.settle() ?? true;
  }

  /** The transfer's header, written at the end of the turn. */
  begin(transfer: Transfer): void {
    this.spool?.segments.begin(transfer.describe(), (index) => transfer.payloadAt(index));
  }

  append(transfer: Transfer, index: number, payload: Buffer): void {
    this.spool?.segments.append(transfer.transferId, index, payload);
  }

  /** `ack` leaves only if the packet's record is written; if not, it leaves as a NACK (storage failure). */
  guard(transfer: Transfer, index: number, ack: Buffer): void {
    if (!this.spool) return;
    this.guardedTransfers.push(transfer);
    this.guardedIndices.push(index);
    this.guardedReplies.push(ack);
  }

  recordFlowMode(transfer: Transfer): void {
    this.spool?.segments.recordFlowMode(transfer.transferId, transfer.flowMode);
  }

  /**
   * The image is stored: its completion is logged at once (after a restart the transfer answers
   * late duplicates, never stores again), then the transfer ends. Throws when the log cannot be
   * written; the transfer then stays in the spool, so that a restart stores the image again, onto
   * the same file.
   */
  complete(record: CompletedTransfer): void {
    if (!this.spool) return;
    this.spool.completed.append(record);
    this.spool.segments.discard(record.transferId);
  }

  /** Ends a transfer's records (replaced, given up). */
  discard(transfer: Transfer): void {
    this.spool?.segments.discard(transfer.transferId);
  }

  /** Resolves with whether this turn's records were written; undefined when none wait. */
  whenWritten(): Promise<boolean> | undefined {
    return this.spool?.segments.whenWritten();
  }

  /** Writes what waits and closes the files; transfers in flight stay on disk. */
  close(): void {
    this.persist();
    this.spool?.closeAll();
  }

  private persist(): void {
    if (!this.spool) return;
    const ok = this.spool.segments.flush();
    const count = this.guardedReplies.length;
    if (!ok) {
      for (let guard = 0; guard < count; guard++) {
        this.guardedReplies[guard]![ACK_STATUS_BYTE] = ReplyStatus.StorageFailure;
        this.unwritten(this.guardedTransfers[guard]!, this.guardedIndices[guard]!);
      }
    }
    if (count > 0) {
      this.guardedTransfers.length = 0;
      this.guardedIndices.length = 0;
      this.guardedReplies.length = 0;
    }
  }
}

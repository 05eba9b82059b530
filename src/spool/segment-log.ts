import { writevSync } from 'node:fs';
import type { FlowMode } from '../common/transfer-model.js';
import {
  encodeEnd,
  encodeFlowMode,
  encodeHeader,
  encodePacket,
  packetRecordBytes,
  replay,
  transferIdBytes,
  type SpoolContents,
  type SpoolHeader,
} from './segment-format.js';
import { MAX_LIVE_SEGMENTS, SegmentFiles, type Segment } from './segment-files.js';
import { readSegments } from './segment-recovery.js';
import type { Quarantined } from './spool-files.js';

/** By default, a segment is left for the next once this full. */
const SEGMENT_BYTES = 8 * 1024 ** 2;

/** How a segment log is set up. */
export interface SegmentLogOptions {
  /** Size at which a segment is left for the next (tests make it small). */
  readonly segmentBytes?: number;
  /**
   * Called whenever a record is added: the caller's end of turn (`EndOfTurn.touch`), at which it
   * calls {@link SegmentLog.flush}. Without it, the log flushes itself in the check phase.
   */
  readonly touch?: () => void;
}

/** What start-up found in the segments. */
export interface SegmentRecovery {
  /** Transfers left in flight: `begin` them again (with their packets) to keep them, then `settle`. */
  readonly inFlight: SpoolContents[];
  /** Files that could not be read, or read only in part, moved or copied to the quarantine folder. */
  readonly quarantined: Quarantined[];
}

/** The packets a transfer holds, for writing it again further on in the log. */
export type PacketSource = (index: number) => Buffer | undefined;

interface SpooledTransfer {
  readonly header: SpoolHeader;
  readonly id: Buffer;
  readonly packets: PacketSource;
  flowMode: FlowMode;
  readonly segments: Set<Segment>;
}

/** The records of one event-loop turn, written together. */
interface Batch {
  readonly buffers: Buffer[];
  bytes: number;
  /** Transfers written again at the head: their older segments are released once this is written. */
  readonly moved: SpooledTransfer[];
}

/**
 * Transfers in flight, on disk: what a transfer has acknowledged survives the process (a crash,
 * an OOM kill, a redeploy), so that after a restart the camera's next resent packet is simply
 * acknowledged.
 *
 * A log: the records of one event-loop turn (every datagram the socket had ready) are written
 * together with one synchronous write, to the page cache, without fsync, at the end of the turn
 * and before its replies leave. One write per turn rather than per packet is what keeps the log
 * off the packet path's cost (see the README for the measurements); it survives the process, not
 * a power cut (the finished image itself is fsynced before it is acknowledged).
 *
 * The log is cut into segments ({@link SegmentFiles}), reused once none of their transfers is in
 * flight any more; a transfer that lingers while others finish (a slow camera) is written again at
 * the head, so that the log stays within a few segments.
 */
export class SegmentLog {
  private readonly transfers = new Map<string, SpooledTransfer>();
  private readonly segments: SegmentFiles;
  private batch: Batch = emptyBatch();
  /** Whether this turn's batch holds records; whether a write of it failed already (a rotation). */
  private batchOpen = false;
  private batchFailed = false;
  /** Settles with this turn's write, for whoever asked (`whenWritten`). */
  private waiting: { readonly promise: Promise<boolean>; resolve(ok: boolean): void } | undefined;
  private readonly segmentBytes: number;
  private readonly touch: () => void;

  constructor(
    readonly directory: string,
    options: SegmentLogOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
    this.touch = options.touch ?? (() => setImmediate(() => this.flush()));
    this.segments = new SegmentFiles(directory);
  }

  /**
   * Reads the segments a previous process left (`names`: the spool folder's). They are kept,
   * untouched, until the transfers the caller keeps have been written again (`begin` … then
   * `settle`); a segment with a damaged record is copied to quarantine (what comes before the
   * damage is still read), then emptied at `settle`, so that it is never copied again.
   */
  async recover(names: readonly string[], now: number): Promise<SegmentRecovery> {
    const { found, quarantined } = await readSegments(this.directory, names, now);
    const segments = found.map(({ name, number, contents }) => ({
      contents,
      segment: this.segments.retire(name, number, contents.epoch ?? 0, contents.damage !== undefined),
    }));
    segments.sort((a, b) => a.segment.epoch - b.segment.epoch);
    const inFlight = replay(segments.flatMap(({ contents }) => contents.records));
    // A new file: the retired segments hold the only copy of what was recovered until `settle`.
    this.segments.advance();
    return { inFlight, quarantined };
  }

  /** Writes what was recovered and begun again; false when it could not be (the old segments are kept). */
  settle(): boolean {
    const ok = this.flush();
    if (ok) this.segments.reuseRetired();
    return ok;
  }

  /** Starts a transfer's record; `packets` lets the log write it again further on when it lingers. */
  begin(header: SpoolHeader, packets: PacketSource): void {
    const transfer: SpooledTransfer = {
      header,
      id: transferIdBytes(header.transferId),
      packets,
      flowMode: header.flowMode,
      segments: new Set(),
    };
    this.transfers.set(header.transferId, transfer);
    this.add(transfer, (epoch) => encodeHeader(epoch, header));
  }

  /** Adds an acknowledged packet to this turn's write. */
  append(transferId: string, index: number, payload: Buffer): void {
    const transfer = this.transfers.get(transferId);
    if (!transfer) throw new Error(`transfer ${transferId} was not begun in the spool`);
    // Once per packet: no closure, the size is known before encoding.
    this.makeRoomFor(packetRecordBytes(transfer.id, payload));
    this.appendToBatch(transfer, encodePacket(this.segments.epoch, transfer.id, index, payload));
  }

  recordFlowMode(transferId: string, mode: FlowMode): void {
    const transfer = this.transfers.get(transferId);
    if (!transfer) return;
    transfer.flowMode = mode;
    this.add(transfer, (epoch) => encodeFlowMode(epoch, transfer.id, mode));
  }

  /** Resolves once the records added so far are written (false: the write failed); undefined when none wait. */
  whenWritten(): Promise<boolean> | undefined {
    if (!this.batchOpen) return undefined;
    if (!this.waiting) {
      let resolve!: (ok: boolean) => void;
      const promise = new Promise<boolean>((settle) => (resolve = settle));
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }

  /** Ends a transfer (completed, expired, or replaced); nothing when the spool does not hold it. */
  discard(transferId: string): void {
    const transfer = this.transfers.get(transferId);
    if (!transfer) return;
    this.transfers.delete(transferId);
    // An end holds no segment: it only has to outlive the transfer's other records, and segments
    // are freed oldest first.
    this.add(undefined, (epoch) => encodeEnd(epoch, transfer.id));
    for (const segment of transfer.segments) segment.holders.delete(transferId);
    this.segments.releaseOld();
  }

  /** Writes what waits, then closes every file; transfers in flight stay on disk for the next start. */
  closeAll(): void {
    this.flush();
    this.abandon();
  }

  /** Closes every file without writing what waits (a process killed now loses its last turn). */
  abandon(): void {
    this.segments.closeAll();
    this.transfers.clear();
    this.batch = emptyBatch();
    this.batchOpen = false;
  }

  /** Writes this turn's records now; true when they are on disk (or there were none). */
  flush(): boolean {
    const waiting = this.waiting;
    const failedBefore = this.batchFailed;
    this.waiting = undefined;
    this.batchOpen = false;
    this.batchFailed = false;
    const ok = this.writeBatch() && !failedBefore;
    waiting?.resolve(ok);
    return ok;
  }

  /**
   * Adds a record to this turn's write; when it would overflow the segment, what the turn has so
   * far is written there and the record goes to the next segment, encoded for its epoch.
   */
  private add(transfer: SpooledTransfer | undefined, encode: (epoch: number) => Buffer[]): void {
    let record = encode(this.segments.epoch);
    if (this.makeRoomFor(byteLength(record))) record = encode(this.segments.epoch);
    this.appendToBatch(transfer, record);
  }

  /** Moves to the next segment when `bytes` more would overflow this one; whether it did. */
  private makeRoomFor(bytes: number): boolean {
    const used = this.segments.current.length + this.batch.bytes;
    if (used === 0 || used + bytes <= this.segmentBytes) return false;
    if (!this.writeBatch()) this.batchFailed = true;
    this.rotate();
    return true;
  }

  private appendToBatch(transfer: SpooledTransfer | undefined, record: Buffer[]): void {
    for (const buffer of record) {
      this.batch.buffers.push(buffer);
      this.batch.bytes += buffer.length;
    }
    if (transfer) {
      const current = this.segments.current;
      transfer.segments.add(current);
      current.holders.add(transfer.header.transferId);
    }
    if (!this.batchOpen) {
      this.batchOpen = true;
      this.touch();
    }
  }

  /** Writes the batch at the end of the current segment; false when the disk refused it. */
  private writeBatch(): boolean {
    const batch = this.batch;
    if (batch.buffers.length === 0) return true;
    this.batch = emptyBatch();
    const segment = this.segments.current;
    try {
      writevSync(segment.file, batch.buffers, segment.length);
    } catch {
      // Whoever waits on `whenWritten` hears it, and does not acknowledge.
      return false;
    }
    segment.length += batch.bytes;
    for (const transfer of batch.moved) {
      for (const old of transfer.segments) {
        if (old === segment) continue;
        old.holders.delete(transfer.header.transferId);
        transfer.segments.delete(old);
      }
    }
    this.segments.releaseOld();
    this.segments.trim();
    return true;
  }

  /**
   * Moves writing to a free segment (or a new one), and writes the transfers holding segments
   * beyond the last MAX_LIVE_SEGMENTS again there, so those are freed once this batch is written.
   */
  private rotate(): void {
    this.segments.advance();
    const epoch = this.segments.epoch;
    const lingering = new Set<string>();
    for (const segment of this.segments.live.slice(0, -MAX_LIVE_SEGMENTS)) {
      for (const transferId of segment.holders) lingering.add(transferId);
    }
    for (const transferId of lingering) {
      const transfer = this.transfers.get(transferId);
      if (!transfer) continue;
      this.appendToBatch(transfer, encodeHeader(epoch, { ...transfer.header, flowMode: transfer.flowMode }));
      for (let index = 0; index < transfer.header.packetCount; index++) {
        const payload = transfer.packets(index);
        if (payload) this.appendToBatch(transfer, encodePacket(epoch, transfer.id, index, payload));
      }
      this.batch.moved.push(transfer);
    }
  }

  /** Resolves once the files the spool let go of are deleted. */
  async deletionsDone(): Promise<void> {
    await this.segments.deletionsDone();
  }
}

function byteLength(buffers: readonly Buffer[]): number {
  let bytes = 0;
  for (const buffer of buffers) bytes += buffer.length;
  return bytes;
}

function emptyBatch(): Batch {
  return { buffers: [], bytes: 0, moved: [] };
}

import { closeSync, ftruncateSync, openSync, writevSync } from 'node:fs';
import { copyFile, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowMode } from '../common/transfer-model.js';
import {
  decodeSegment,
  encodeEnd,
  encodeFlowMode,
  encodeHeader,
  encodePacket,
  packetRecordBytes,
  replay,
  transferIdBytes,
  type SegmentContents,
  type SpoolContents,
  type SpoolHeader,
} from './segment-format.js';
import { QUARANTINE_FOLDER, type Quarantined } from './spool-files.js';

const SEGMENT_NAME = /^segment-(\d+)\.log$/;

/** By default, a segment is left for the next once this full. */
const SEGMENT_BYTES = 8 * 1024 ** 2;

/**
 * Segments still needed, the one written included, beyond which the transfers holding the oldest
 * (slow ones, among many finished) are written again at the head so it can be reused: the spool's
 * disk stays near this many segments whatever the mix of fast and slow cameras.
 */
export const MAX_LIVE_SEGMENTS = 4;

/** Free segments kept for reuse (their blocks already allocated); older ones are deleted. */
export const MAX_FREE_SEGMENTS = 2;

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

interface Segment {
  readonly name: string;
  readonly file: number;
  epoch: number;
  /** Bytes of records of the current epoch. */
  length: number;
  /** Transfers with records here that have not ended. */
  readonly holders: Set<string>;
}

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
 * The log is cut into segments, reused once none of their transfers is in flight any more:
 * overwriting blocks a file already has costs the filesystem no allocation. Segments are freed
 * and reused oldest first, so that a transfer's end is never overwritten before its start: what
 * a restart reads back never brings an ended transfer back to life.
 */
export class SegmentLog {
  private readonly transfers = new Map<string, SpooledTransfer>();
  /** Segments still needed, oldest first; the last is written to. */
  private readonly liveSegments: Segment[] = [];
  /** Segments free for reuse, oldest first. */
  private readonly freeSegments: Segment[] = [];
  /** Segments a previous process wrote, kept until the transfers recovered from them are written again. */
  private retiredSegments: Segment[] = [];
  private nextSegmentNumber = 0;
  private epoch = 0;
  private batch: Batch = emptyBatch();
  /** Whether this turn's batch holds records; whether a write of it failed already (a rotation). */
  private batchOpen = false;
  private batchFailed = false;
  /** Settles with this turn's write, for whoever asked (`whenWritten`). */
  private waiting: { readonly promise: Promise<boolean>; resolve(ok: boolean): void } | undefined;
  /** Segments found damaged at start-up: emptied once what preceded the damage is written again. */
  private damagedSegments: Segment[] = [];
  private readonly segmentBytes: number;
  private readonly touch: () => void;
  /** Files being deleted, off the datagram path. */
  private readonly deletions = new Set<Promise<void>>();

  constructor(
    readonly directory: string,
    options: SegmentLogOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
    this.touch = options.touch ?? (() => setImmediate(() => this.flush()));
  }

  private get quarantineDirectory(): string {
    return join(this.directory, QUARANTINE_FOLDER);
  }

  /**
   * Reads the segments a previous process left (`names`: the spool folder's). They are kept,
   * untouched, until the transfers the caller keeps have been written again (`begin` … then
   * `settle`); a segment with a damaged record is copied to quarantine (what comes before the
   * damage is still read), then emptied at `settle`, so that it is never copied again.
   */
  async recover(names: readonly string[], now: number): Promise<SegmentRecovery> {
    const quarantined: Quarantined[] = [];
    const segments: { segment: Segment; contents: SegmentContents }[] = [];
    for (const name of names) {
      const number = SEGMENT_NAME.exec(name)?.[1];
      if (number === undefined) continue;
      const path = join(this.directory, name);
      this.nextSegmentNumber = Math.max(this.nextSegmentNumber, Number(number) + 1);
      const contents = decodeSegment(await readFile(path));
      const segment = this.openSegment(name, 'r+');
      if (contents.damage) {
        const copy = `${name}.${now}`;
        await copyFile(path, join(this.quarantineDirectory, copy));
        quarantined.push({ file: copy, reason: `${contents.damage} after ${contents.records.length} records` });
        this.damagedSegments.push(segment);
      }
      segment.epoch = contents.epoch ?? 0;
      segments.push({ segment, contents });
    }
    segments.sort((a, b) => a.segment.epoch - b.segment.epoch);
    const inFlight = replay(segments.flatMap(({ contents }) => contents.records));
    this.epoch = segments.reduce((highest, { segment }) => Math.max(highest, segment.epoch), 0);
    this.retiredSegments = segments.map(({ segment }) => segment);
    // A new file: the retired segments hold the only copy of what was recovered until `settle`.
    this.startSegment(this.createSegment());
    return { inFlight, quarantined };
  }

  /**
   * Writes what was recovered and written again for good; from then on the previous process's
   * segments are reused. Returns whether the write succeeded (if not, they are kept on disk).
   */
  settle(): boolean {
    const ok = this.flush();
    if (ok) {
      for (const segment of this.damagedSegments) {
        try {
          ftruncateSync(segment.file, 0);
        } catch {
          // Still damaged: copied to quarantine again at the next start, read up to the damage.
        }
      }
      this.damagedSegments = [];
      this.freeSegments.push(...this.retiredSegments);
      this.retiredSegments = [];
      this.trimFreeSegments();
    }
    return ok;
  }

  /**
   * Starts a transfer's record; `packets` lets the spool write the transfer again further on in
   * the log when it lingers. Like every record, written at the end of the turn (`whenWritten`).
   */
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
    this.appendToBatch(transfer, encodePacket(this.epoch, transfer.id, index, payload));
  }

  recordFlowMode(transferId: string, mode: FlowMode): void {
    const transfer = this.transfers.get(transferId);
    if (!transfer) return;
    transfer.flowMode = mode;
    this.add(transfer, (epoch) => encodeFlowMode(epoch, transfer.id, mode));
  }

  /**
   * Resolves once the records added so far are written: true, or false when the write failed.
   * Undefined when nothing waits to be written.
   */
  whenWritten(): Promise<boolean> | undefined {
    if (!this.batchOpen) return undefined;
    if (!this.waiting) {
      let resolve!: (ok: boolean) => void;
      const promise = new Promise<boolean>((settle) => (resolve = settle));
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }

  /** Whether the transfer is in the log. */
  holds(transferId: string): boolean {
    return this.transfers.has(transferId);
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
    this.releaseOldSegments();
  }

  /** Writes what waits, then closes every file; transfers in flight stay on disk for the next start. */
  closeAll(): void {
    this.flush();
    this.abandon();
  }

  /**
   * Closes every file without writing what waits (a process killed now: its last turn's records
   * are lost, and so are the replies that waited for them).
   */
  abandon(): void {
    for (const segment of [...this.liveSegments, ...this.freeSegments, ...this.retiredSegments])
      closeQuietly(segment.file);
    this.liveSegments.length = 0;
    this.freeSegments.length = 0;
    this.retiredSegments = [];
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
    let record = encode(this.epoch);
    if (this.makeRoomFor(byteLength(record))) record = encode(this.epoch);
    this.appendToBatch(transfer, record);
  }

  /** Moves to the next segment when `bytes` more would overflow this one; whether it did. */
  private makeRoomFor(bytes: number): boolean {
    const used = this.current.length + this.batch.bytes;
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
      transfer.segments.add(this.current);
      this.current.holders.add(transfer.header.transferId);
    }
    if (!this.batchOpen) {
      this.batchOpen = true;
      this.touch();
    }
  }

  /** The segment written to. */
  private get current(): Segment {
    const segment = this.liveSegments.at(-1);
    if (!segment) throw new Error('the spool was not recovered before use');
    return segment;
  }

  /** Writes the batch at the end of the current segment; false when the disk refused it. */
  private writeBatch(): boolean {
    const batch = this.batch;
    if (batch.buffers.length === 0) return true;
    this.batch = emptyBatch();
    const segment = this.current;
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
    this.releaseOldSegments();
    this.trimFreeSegments();
    return true;
  }

  /**
   * Moves writing to a free segment (or a new one), and writes the transfers holding segments
   * beyond the last MAX_LIVE_SEGMENTS again there, so those are freed once this batch is written.
   */
  private rotate(): void {
    this.startSegment(this.freeSegments.shift() ?? this.createSegment());
    const lingering = new Set<string>();
    for (const segment of this.liveSegments.slice(0, -MAX_LIVE_SEGMENTS)) {
      for (const transferId of segment.holders) lingering.add(transferId);
    }
    for (const transferId of lingering) {
      const transfer = this.transfers.get(transferId);
      if (!transfer) continue;
      this.appendToBatch(
        transfer,
        encodeHeader(this.epoch, { ...transfer.header, flowMode: transfer.flowMode }),
      );
      for (let index = 0; index < transfer.header.packetCount; index++) {
        const payload = transfer.packets(index);
        if (payload) this.appendToBatch(transfer, encodePacket(this.epoch, transfer.id, index, payload));
      }
      this.batch.moved.push(transfer);
    }
  }

  private startSegment(segment: Segment): void {
    segment.epoch = ++this.epoch;
    segment.length = 0;
    segment.holders.clear();
    this.liveSegments.push(segment);
  }

  /** Frees the oldest segments once nothing in flight has records there (never the current one). */
  private releaseOldSegments(): void {
    while (this.liveSegments.length > 1 && this.liveSegments[0]!.holders.size === 0) {
      this.freeSegments.push(this.liveSegments.shift()!);
    }
  }

  /**
   * Deletes the oldest free segments beyond those kept for reuse. Only once the batch is written:
   * the ends of the transfers they held may be in it.
   */
  private trimFreeSegments(): void {
    while (this.freeSegments.length > MAX_FREE_SEGMENTS) {
      const segment = this.freeSegments.shift()!;
      closeQuietly(segment.file);
      this.deleteLater(segment.name);
    }
  }

  /** Resolves once the files the spool let go of are deleted. */
  async deletionsDone(): Promise<void> {
    await Promise.all(this.deletions);
  }

  private deleteLater(name: string): void {
    const deletion: Promise<void> = rm(join(this.directory, name), { force: true })
      .catch(() => undefined)
      .finally(() => this.deletions.delete(deletion));
    this.deletions.add(deletion);
  }

  private createSegment(): Segment {
    return this.openSegment(`segment-${String(this.nextSegmentNumber++).padStart(6, '0')}.log`, 'w+');
  }

  private openSegment(name: string, flags: 'r+' | 'w+'): Segment {
    return {
      name,
      file: openSync(join(this.directory, name), flags),
      epoch: 0,
      length: 0,
      holders: new Set(),
    };
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

function closeQuietly(file: number): void {
  try {
    closeSync(file);
  } catch {
    // Already closed: nothing to release.
  }
}

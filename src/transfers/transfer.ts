import {
  type FlowMode,
  type RemoteEndpoint,
  type TransferDescriptor,
  type TransferParameters,
} from '../common/transfer-model.js';
import { PacketSlots } from './packet-slots.js';

/**
 * - accepted: the upload request was accepted, no data yet;
 * - receiving: data is arriving;
 * - complete: every packet is in; a burst transfer waits for its end of transfer before storing;
 * - storing: the image is being written to disk;
 * - unstored: the write failed; the device's next retry writes again;
 * - stored: on disk (the transfer lives on as a `CompletedTransfer`).
 * Orthogonal to these, a transfer idle past its timeout is dormant: it keeps what it received,
 * stops counting against the limit of transfers in progress, and its device's next datagram
 * wakes it.
 */
export type TransferState = 'accepted' | 'receiving' | 'complete' | 'storing' | 'unstored' | 'stored';

/**
 * What one more copy of a packet did:
 * - new: the first copy of that index;
 * - duplicate: the same bytes again;
 * - conflict: other bytes than those held, which are kept (see {@link Transfer.replace});
 * - replaced: other bytes, replacing held ones that were a late copy of the device's previous
 *   image's (the caller's call, `Transfer.replace`).
 */
export type PacketOutcome = 'new' | 'duplicate' | 'conflict' | 'replaced';

/** Counters that end up in the image's sidecar. */
export interface TransferCounters {
  duplicates: number;
  conflicts: number;
  duplicateRequests: number;
  endOfTransferRounds: number;
}

/**
 * One image on its way in, and the one place its lifecycle changes: every transition is a
 * method here. Its packets are reassembled by {@link PacketSlots}.
 */
export class Transfer {
  readonly counters: TransferCounters = {
    duplicates: 0,
    conflicts: 0,
    duplicateRequests: 0,
    endOfTransferRounds: 0,
  };
  lastActivityAt: number;
  firstPacketAt: number | undefined;
  completedAt: number | undefined;
  /**
   * When the accept reply left; undefined while it is held back (the device cannot have sent
   * data for this transfer yet: whatever arrives is a late copy of an earlier image's).
   */
  acceptSentAt: number | undefined;
  /** The CRC-32 a generation-C device announced with its end of transfer. */
  expectedChecksum: number | undefined;
  /** Settles when the write under way ends; true when stored. */
  storing: Promise<boolean> | undefined;

  private currentState: TransferState = 'accepted';
  private mode: FlowMode;
  /** Whether an end of transfer came after the last new packet (burst firmware sends it after its burst). */
  private endSinceLastNew = false;
  private asleepSince: number | undefined;
  private readonly slots: PacketSlots;
  private lastNewIndex = -1;
  private lastNewAt = 0;
  /**
   * Set when the same request came again after data had arrived (a late copy of the request, or
   * the device restarted with a new image of the same size): how many packets, from 0 on, it has
   * sent again identically since.
   */
  private echoed: number | undefined;

  constructor(
    readonly transferId: string,
    readonly clientType: number,
    readonly deviceId: number,
    readonly remote: RemoteEndpoint,
    readonly parameters: TransferParameters,
    readonly acceptedAt: number,
    flowMode: FlowMode,
  ) {
    this.lastActivityAt = acceptedAt;
    this.mode = flowMode;
    this.slots = new PacketSlots(parameters);
  }

  get state(): TransferState {
    return this.currentState;
  }

  get flowMode(): FlowMode {
    return this.mode;
  }

  get dormantSince(): number | undefined {
    return this.asleepSince;
  }

  get receivedPackets(): number {
    return this.slots.received;
  }

  /** Bytes this transfer keeps in memory (slices, or the assembled image). */
  get bufferedBytes(): number {
    return this.slots.heldBytes;
  }

  get isComplete(): boolean {
    return this.slots.isComplete;
  }

  /** Stop-and-wait: the index the device sends next (it never sends i+1 before i was ACKed). */
  get nextExpected(): number {
    return this.slots.highestIndex + 1;
  }

  /** Set while storing or after a failed write: the assembled image. */
  get image(): Buffer | undefined {
    return this.slots.assembled;
  }

  /**
   * Whether the image may be written now: whole, and for burst firmware an end of transfer came
   * after its last new packet (one that came before is not about these packets: it overtook them,
   * or it is a late copy, or the device is not burst firmware after all).
   */
  get readyToStore(): boolean {
    const waiting = this.currentState === 'complete' || this.currentState === 'unstored';
    return waiting && (this.mode === 'stop-and-wait' || this.endSinceLastNew);
  }

  describe(): TransferDescriptor {
    return {
      transferId: this.transferId,
      clientType: this.clientType,
      deviceId: this.deviceId,
      remote: this.remote,
      ...this.parameters,
      acceptedAt: this.acceptedAt,
      flowMode: this.mode,
    };
  }

  acceptSent(now: number): void {
    this.acceptSentAt ??= now;
  }

  holds(index: number): boolean {
    return this.slots.holds(index);
  }

  /** The payload held for `index`, if any. */
  payloadAt(index: number): Buffer | undefined {
    return this.slots.payloadAt(index);
  }

  /** Keeps a validated payload; a second copy of an index is a duplicate, or a conflict if its bytes differ. */
  receive(index: number, payload: Buffer, now: number): PacketOutcome {
    this.lastActivityAt = now;
    this.firstPacketAt ??= now;
    if (this.currentState === 'accepted') this.currentState = 'receiving';
    const outcome = this.slots.put(index, payload);
    if (outcome !== 'new') {
      this.counters.duplicates++;
      if (outcome === 'conflict') this.counters.conflicts++;
      return outcome;
    }
    this.lastNewIndex = index;
    this.lastNewAt = now;
    this.endSinceLastNew = false;
    if (this.isComplete) this.currentState = 'complete';
    return 'new';
  }

  /**
   * After a conflict: the held copy of `index` was a late copy of the device's previous image's,
   * the new one is not; the new one is kept (not once the image is assembled).
   */
  replace(index: number, payload: Buffer): boolean {
    if (!this.slots.replace(index, payload)) return false;
    this.counters.conflicts--;
    return true;
  }

  /**
   * Whether a copy of `index` arriving now shows a stop-and-wait device: the packet it received
   * last, sent again at least `afterMs` later (past the duplicate window: a retry, not a network
   * copy), with no end of transfer since. Burst firmware sends a packet again only after an end of
   * transfer listed it.
   */
  isResentByStopAndWait(index: number, now: number, afterMs: number): boolean {
    return !this.endSinceLastNew && index === this.lastNewIndex && now - this.lastNewAt >= afterMs;
  }

  /** Decides or corrects the flow mode; whether it changed. */
  learnFlowMode(mode: Exclude<FlowMode, 'probing'>): boolean {
    if (this.mode === mode) return false;
    this.mode = mode;
    return true;
  }

  /** The device sent end of transfer: it is burst firmware. */
  endOfTransfer(now: number, checksum: number | undefined): void {
    this.lastActivityAt = now;
    this.endSinceLastNew = true;
    this.counters.endOfTransferRounds++;
    if (checksum !== undefined) this.expectedChecksum = checksum;
  }

  /** The same request came again while data was arriving: the next packets decide. */
  suspectRestart(): void {
    if (this.currentState !== 'accepted') this.echoed ??= 0;
  }

  get restartSuspected(): boolean {
    return this.echoed !== undefined;
  }

  /**
   * A packet after the repeated request: whether it shows the device restarted with a new image.
   * A restarted device sends its image again from packet 0: as long as what it sends is what is
   * held, nothing tells (and nothing is lost); the first packet that differs, or that was not
   * held, is the new image's. A device that did not restart goes on with the packet after the
   * last it was ACKed (which clears the doubt).
   */
  showsRestart(index: number, outcome: PacketOutcome): boolean {
    if (this.echoed === undefined) return false;
    const inOrder = index === this.echoed;
    if (outcome === 'duplicate' || outcome === 'replaced') {
      if (inOrder) this.echoed++;
      return false;
    }
    const goesOn = index === this.slots.highestIndex && !this.slots.hasHoles && index > this.echoed;
    if (outcome === 'new' && goesOn) this.echoed = undefined;
    else return inOrder || outcome === 'new';
    return false;
  }

  /** The packets the device sent again identically since its repeated request (0, 1, … in order). */
  echoedPackets(): [number, Buffer][] {
    return Array.from({ length: this.echoed ?? 0 }, (_, index) => [index, this.payloadAt(index)!]);
  }

  /** The first `limit` indices not received yet, in order. */
  missing(limit: number): number[] {
    return this.slots.missing(limit);
  }

  /** Takes back a packet that could not be spooled: the device's resend will be new, and expected, again. */
  forget(index: number): void {
    this.slots.forget(index);
    if (this.currentState === 'complete' && !this.isComplete) this.currentState = 'receiving';
  }

  /** Joins the slices into the image and lets them go; the write starts. */
  startStoring(now: number): Buffer {
    if (!this.readyToStore) throw new Error(`transfer ${this.transferId} is not ready to store`);
    this.completedAt ??= now;
    this.currentState = 'storing';
    return this.slots.assemble();
  }

  /** The write failed: the next retry of the device writes again. */
  storeFailed(): void {
    this.currentState = 'unstored';
    this.storing = undefined;
  }

  /** The image is on disk: the payload goes. */
  stored(): void {
    this.currentState = 'stored';
    this.storing = undefined;
    this.release();
  }

  /** Idle past its timeout: it stops counting as in progress, and keeps what it holds. */
  sleep(now: number): void {
    this.asleepSince ??= now;
  }

  /** Its device is back. */
  wake(now: number): void {
    this.asleepSince = undefined;
    this.lastActivityAt = now;
  }

  /** Drops every payload byte held. */
  release(): void {
    this.slots.release();
  }
}

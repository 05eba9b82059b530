import {
  payloadPerPacket,
  type FlowMode,
  type RemoteEndpoint,
  type TransferDescriptor,
  type TransferParameters,
} from '../common/transfer-model.js';

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
 * method here. Payloads are kept as the datagrams' own slices until the image is whole: memory
 * grows with data received, never with what the request announced.
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
  /** Set while storing or after a failed write: the assembled image. */
  image: Buffer | undefined;
  /** Settles when the write under way ends; true when stored. */
  storing: Promise<boolean> | undefined;

  private currentState: TransferState = 'accepted';
  private mode: FlowMode;
  private endSeen = false;
  /** Whether an end of transfer came after the last new packet (burst firmware sends it after its burst). */
  private endSinceLastNew = false;
  private asleepSince: number | undefined;
  private readonly slices: (Buffer | undefined)[];
  private received = 0;
  private heldBytes = 0;
  private highest = -1;
  private lastNewIndex = -1;
  private lastNewAt = 0;
  /**
   * Set when the same request came again after data had arrived: a late copy of the request, or
   * the device restarted with a new image of the same size. The packets that follow tell: those
   * identical to the ones held, from index 0 on, are collected here; the first that differs means
   * a restart.
   */
  private echoes: Set<number> | undefined;

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
    // One slot a packet: bounded by the one-byte packet count, not by anything the device claims.
    this.slices = new Array<Buffer | undefined>(parameters.packetCount);
  }

  get state(): TransferState {
    return this.currentState;
  }

  get flowMode(): FlowMode {
    return this.mode;
  }

  /** Whether the device has sent an end of transfer (only burst firmware does). */
  get sawEndOfTransfer(): boolean {
    return this.endSeen;
  }

  get dormantSince(): number | undefined {
    return this.asleepSince;
  }

  get receivedPackets(): number {
    return this.received;
  }

  /** Bytes this transfer keeps in memory (slices, or the assembled image). */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  get isComplete(): boolean {
    return this.received === this.parameters.packetCount;
  }

  /** Stop-and-wait: the index the device sends next (it never sends i+1 before i was ACKed). */
  get nextExpected(): number {
    return this.highest + 1;
  }

  /** Whether every packet below the highest received is in (stop-and-wait firmware never fills a hole). */
  get hasHoles(): boolean {
    return this.received < this.highest + 1;
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
    return this.image !== undefined || this.slices[index] !== undefined;
  }

  /** The payload held for `index`, if any. */
  payloadAt(index: number): Buffer | undefined {
    if (!this.image) return this.slices[index];
    const offset = this.offsetOf(index);
    const end =
      index === this.parameters.packetCount - 1
        ? this.image.length
        : offset + payloadPerPacket(this.parameters);
    return this.image.subarray(offset, end);
  }

  /** Keeps a validated payload; a second copy of an index is a duplicate, or a conflict if its bytes differ. */
  receive(index: number, payload: Buffer, now: number): PacketOutcome {
    this.lastActivityAt = now;
    this.firstPacketAt ??= now;
    if (this.currentState === 'accepted') this.currentState = 'receiving';
    const held = this.payloadAt(index);
    if (held !== undefined) {
      this.counters.duplicates++;
      if (held.equals(payload)) return 'duplicate';
      this.counters.conflicts++;
      return 'conflict';
    }
    this.slices[index] = payload;
    this.received++;
    this.heldBytes += payload.length;
    this.highest = Math.max(this.highest, index);
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
    const held = this.slices[index];
    if (held === undefined || this.image !== undefined) return false;
    this.slices[index] = payload;
    this.heldBytes += payload.length - held.length;
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
    this.endSeen = true;
    this.endSinceLastNew = true;
    this.counters.endOfTransferRounds++;
    if (checksum !== undefined) this.expectedChecksum = checksum;
  }

  /** The same request came again while data was arriving: the next packets decide. */
  suspectRestart(): void {
    if (this.currentState !== 'accepted') this.echoes ??= new Set();
  }

  get restartSuspected(): boolean {
    return this.echoes !== undefined;
  }

  /**
   * A packet after the repeated request: whether it shows the device restarted with a new image.
   * A restarted device sends its image again from packet 0: as long as what it sends is what is
   * held, nothing tells (and nothing is lost); the first packet that differs, or that was not
   * held, is the new image's. A device that did not restart goes on with the packet after the
   * last it was ACKed (which clears the doubt).
   */
  showsRestart(index: number, outcome: PacketOutcome): boolean {
    if (!this.echoes) return false;
    const inOrder = index === this.echoes.size;
    if (outcome === 'duplicate' || outcome === 'replaced') {
      if (inOrder) this.echoes.add(index);
      return false;
    }
    if (outcome === 'new' && index === this.highest && !this.hasHoles && index > this.echoes.size) {
      this.echoes = undefined;
      return false;
    }
    return inOrder || outcome === 'new';
  }

  /** The packets the device sent again identically since its repeated request, to keep in the new transfer. */
  echoedPackets(): [number, Buffer][] {
    return [...(this.echoes ?? [])].map((index) => [index, this.payloadAt(index)!]);
  }

  /** The first `limit` indices not received yet, in order. */
  missing(limit: number): number[] {
    const missing: number[] = [];
    if (this.isComplete) return missing;
    for (let index = 0; index < this.parameters.packetCount && missing.length < limit; index++) {
      if (this.slices[index] === undefined) missing.push(index);
    }
    return missing;
  }

  /** Takes back a packet that could not be spooled: the device's resend will be new again. */
  forget(index: number): void {
    const slice = this.slices[index];
    if (slice === undefined || this.image) return;
    this.slices[index] = undefined;
    this.received--;
    this.heldBytes -= slice.length;
    if (this.currentState === 'complete') this.currentState = 'receiving';
  }

  /** Joins the slices into the image and lets them go; the write starts. */
  startStoring(now: number): Buffer {
    if (!this.readyToStore) throw new Error(`transfer ${this.transferId} is not ready to store`);
    if (!this.image) {
      this.image = Buffer.concat(this.slices as Buffer[], this.heldBytes);
      this.slices.fill(undefined);
      this.completedAt = now;
    }
    this.currentState = 'storing';
    return this.image;
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
    this.slices.fill(undefined);
    this.image = undefined;
    this.heldBytes = 0;
  }

  private offsetOf(index: number): number {
    return index * payloadPerPacket(this.parameters);
  }
}

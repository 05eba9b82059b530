import { payloadPerPacket, type TransferParameters } from '../common/transfer-model.js';

/** What one more copy of a packet was: the first of its index, the same bytes again, or others. */
export type SlotOutcome = 'new' | 'duplicate' | 'conflict';

/**
 * The packets of one image, reassembled: one slot an index (bounded by the one-byte packet count,
 * not by anything the device claims), each the datagram's own slice until the image is whole, then
 * joined once. Memory grows with data received, never with what the request announced.
 */
export class PacketSlots {
  private readonly slices: (Buffer | undefined)[];
  private image: Buffer | undefined;
  private count = 0;
  private bytes = 0;
  private highest = -1;

  constructor(private readonly parameters: TransferParameters) {
    this.slices = new Array<Buffer | undefined>(parameters.packetCount);
  }

  get received(): number {
    return this.count;
  }

  /** Bytes held (slices, or the assembled image). */
  get heldBytes(): number {
    return this.bytes;
  }

  get isComplete(): boolean {
    return this.count === this.parameters.packetCount;
  }

  /** The highest index received, -1 before any. */
  get highestIndex(): number {
    return this.highest;
  }

  /** Whether an index below the highest received is missing. */
  get hasHoles(): boolean {
    return this.count < this.highest + 1;
  }

  /** The assembled image, once {@link assemble} ran. */
  get assembled(): Buffer | undefined {
    return this.image;
  }

  holds(index: number): boolean {
    return this.image !== undefined || this.slices[index] !== undefined;
  }

  /** The payload held for `index`, if any. */
  payloadAt(index: number): Buffer | undefined {
    if (!this.image) return this.slices[index];
    const payload = payloadPerPacket(this.parameters);
    const offset = index * payload;
    const end = index === this.parameters.packetCount - 1 ? this.image.length : offset + payload;
    return this.image.subarray(offset, end);
  }

  /** Keeps a validated payload unless one is held for its index. */
  put(index: number, payload: Buffer): SlotOutcome {
    const held = this.payloadAt(index);
    if (held !== undefined) return held.equals(payload) ? 'duplicate' : 'conflict';
    this.slices[index] = payload;
    this.count++;
    this.bytes += payload.length;
    this.highest = Math.max(this.highest, index);
    return 'new';
  }

  /** Puts `payload` in place of the one held for `index` (not once assembled); whether it did. */
  replace(index: number, payload: Buffer): boolean {
    const held = this.slices[index];
    if (held === undefined || this.image !== undefined) return false;
    this.slices[index] = payload;
    this.bytes += payload.length - held.length;
    return true;
  }

  /**
   * Takes back a packet (it could not be spooled): the device's resend will be new again, and,
   * when it was the highest received, expected again (a stop-and-wait device resends it).
   */
  forget(index: number): void {
    const slice = this.slices[index];
    if (slice === undefined || this.image) return;
    this.slices[index] = undefined;
    this.count--;
    this.bytes -= slice.length;
    while (this.highest >= 0 && this.slices[this.highest] === undefined) this.highest--;
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

  /** Joins the slices into the image (every packet in) and lets them go. */
  assemble(): Buffer {
    if (!this.isComplete) throw new Error('the image is missing packets');
    if (!this.image) {
      this.image = Buffer.concat(this.slices as Buffer[], this.bytes);
      this.slices.fill(undefined);
    }
    return this.image;
  }

  /** Drops every byte held. */
  release(): void {
    this.slices.fill(undefined);
    this.image = undefined;
    this.bytes = 0;
  }
}

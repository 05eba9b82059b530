import { DATA_HEADER_BYTES, type UploadRequest } from '#protocol';
import type { RemoteEndpoint } from './transfer-key.js';

/**
 * - accepted: the upload request was accepted, no data yet;
 * - receiving: data is arriving;
 * - storing: every packet is in, the image is being written to disk;
 * - unstored: every packet is in but the write failed; the next retry from the device writes again.
 * A stored transfer leaves the active set and lives on as a `CompletedTransfer`.
 */
export type TransferState = 'accepted' | 'receiving' | 'storing' | 'unstored';

/**
 * How the device paces its data packets, learnt from the traffic:
 * - stop-and-wait (generation A): one packet at a time, each waiting for its ACK;
 * - burst (generation B): every packet at once, then end of transfer; no per-packet ACK wanted;
 * - probing: not known yet.
 */
export type FlowMode = 'probing' | 'stop-and-wait' | 'burst';

/** What storing one more packet did. */
export type PacketOutcome = 'new' | 'duplicate' | 'conflict';

/** Counters that end up in the image's sidecar. */
export interface TransferCounters {
  duplicates: number;
  conflicts: number;
  duplicateRequests: number;
  endOfTransferRounds: number;
}

/** The parameters a transfer was accepted with. */
export interface TransferParameters {
  readonly packetCount: number;
  readonly maxPacketSize: number;
  readonly imageSize: number | undefined;
}

export function parametersOf(request: UploadRequest): TransferParameters {
  return {
    packetCount: request.packetCount,
    maxPacketSize: request.maxPacketSize,
    imageSize: request.imageSize?.value,
  };
}

export function sameParameters(a: TransferParameters, b: TransferParameters): boolean {
  return (
    a.packetCount === b.packetCount && a.maxPacketSize === b.maxPacketSize && a.imageSize === b.imageSize
  );
}

/**
 * Length every packet must declare: P-8 for all but the last; for the last, exactly what S leaves
 * when S was sent, otherwise anything from 1 to P-8.
 */
export function lengthIsValid(parameters: TransferParameters, index: number, length: number): boolean {
  const payloadPerPacket = parameters.maxPacketSize - DATA_HEADER_BYTES;
  const isLast = index === parameters.packetCount - 1;
  if (!isLast) return length === payloadPerPacket;
  if (parameters.imageSize !== undefined) {
    return length === parameters.imageSize - payloadPerPacket * (parameters.packetCount - 1);
  }
  return length >= 1 && length <= payloadPerPacket;
}

/**
 * One image on its way in. Payloads are kept as the datagrams' own slices until the image is
 * whole: memory grows with data received, never with what the request announced.
 */
export class Transfer {
  state: TransferState = 'accepted';
  flowMode: FlowMode;
  readonly counters: TransferCounters = {
    duplicates: 0,
    conflicts: 0,
    duplicateRequests: 0,
    endOfTransferRounds: 0,
  };
  lastActivityAt: number;
  firstPacketAt: number | undefined;
  completedAt: number | undefined;
  /** Set while storing or after a failed write: the assembled image. */
  image: Buffer | undefined;
  /** Settles when the write started for this transfer ends; true when stored. */
  storing: Promise<boolean> | undefined;
  /**
   * Set when the same request came again after data had arrived: either a late network duplicate
   * of the request, or the device restarted with a new image of the same size. The content
   * decides: packets identical to those held are collected here; the first one that differs
   * means a restart.
   */
  repeatedRequestEchoes: Set<number> | undefined;

  private readonly slices: (Buffer | undefined)[];
  private received = 0;
  private heldBytes = 0;

  constructor(
    /** Unique id of this transfer; names its spool records and its stored image. */
    readonly transferId: string,
    readonly key: string,
    readonly clientType: number,
    readonly deviceId: number,
    readonly remote: RemoteEndpoint,
    readonly parameters: TransferParameters,
    readonly acceptedAt: number,
    knownFlowMode: FlowMode | undefined,
  ) {
    this.lastActivityAt = acceptedAt;
    this.flowMode = knownFlowMode ?? 'probing';
    // One slot a packet: bounded by the one-byte packet count, not by anything the device claims.
    this.slices = new Array<Buffer | undefined>(parameters.packetCount);
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

  /** Keeps a validated payload; a second copy of an index is a duplicate, or a conflict if its bytes differ. */
  accept(index: number, payload: Buffer, now: number): PacketOutcome {
    this.lastActivityAt = now;
    this.firstPacketAt ??= now;
    if (this.state === 'accepted') this.state = 'receiving';
    const held = this.image
      ? this.image.subarray(this.offsetOf(index), this.offsetOf(index) + payload.length)
      : this.slices[index];
    if (held !== undefined) {
      this.counters.duplicates++;
      if (held !== undefined && !held.equals(payload)) {
        this.counters.conflicts++;
        return 'conflict';
      }
      return 'duplicate';
    }
    this.slices[index] = payload;
    this.received++;
    this.heldBytes += payload.length;
    return 'new';
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

  /** The payload held for `index`, if any. */
  payloadAt(index: number): Buffer | undefined {
    if (this.image) {
      const offset = this.offsetOf(index);
      const end =
        index === this.parameters.packetCount - 1 ? this.image.length : offset + this.payloadPerPacket;
      return this.image.subarray(offset, end);
    }
    return this.slices[index];
  }

  /** Takes back a packet that could not be spooled: the device's resend will be new again. */
  forget(index: number): void {
    const slice = this.slices[index];
    if (slice === undefined || this.image) return;
    this.slices[index] = undefined;
    this.received--;
    this.heldBytes -= slice.length;
  }

  /** Joins the slices into the image (once every packet is in) and lets the slices go. */
  assemble(now: number): Buffer {
    if (!this.isComplete) throw new Error(`transfer ${this.key} is missing packets`);
    if (!this.image) {
      this.image = Buffer.concat(this.slices as Buffer[], this.heldBytes);
      this.slices.fill(undefined);
      this.completedAt = now;
    }
    return this.image;
  }

  /** Drops every payload byte held (after the image is stored, or when the transfer ends). */
  release(): void {
    this.slices.fill(undefined);
    this.image = undefined;
    this.heldBytes = 0;
  }

  private get payloadPerPacket(): number {
    return this.parameters.maxPacketSize - DATA_HEADER_BYTES;
  }

  private offsetOf(index: number): number {
    return index * this.payloadPerPacket;
  }
}

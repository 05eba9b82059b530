import { crc32 } from 'node:zlib';
import { DATA_HEADER_BYTES, MAX_PACKET_COUNT } from '#protocol';
import { FLOW_MODES, type FlowMode, type TransferDescriptor } from '../common/transfer-model.js';

/**
 * The records of the spool's segment files.
 *
 * Segment files hold the transfers in flight as a log: records appended in batches, one write a
 * batch. A segment is reused once nothing in it is needed any more; every record carries the
 * epoch of its segment's current use (epochs only grow), so what an earlier use left behind never
 * reads as current, and the log reads back in epoch order.
 *
 *   record: 'R' | u8 type | u32 epoch | u32 body length | u32 crc32(type … length, body) | body
 *   bodies: header  json of SpoolHeader
 *           packet  u8 id length | transfer id | u8 index | payload
 *           mode    u8 id length | transfer id | u8 flow mode (0 probing, 1 stop-and-wait, 2 burst)
 *           end     u8 id length | transfer id
 */
const RECORD_TAG = 0x52;
const RECORD_PREFIX_BYTES = 1 + 1 + 4 + 4 + 4;
/** Bytes of a record prefix the checksum covers, after the tag and before the checksum. */
const CHECKED_PREFIX = { start: 1, end: 10 } as const;

const RecordType = Object.freeze({ Header: 1, Packet: 2, FlowMode: 3, End: 4 } as const);
type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** What the spool records of a transfer when it begins: the transfer's descriptor. */
export type SpoolHeader = TransferDescriptor;

/** A transfer in flight, read back from the log. */
export interface SpoolContents {
  readonly header: SpoolHeader;
  readonly packets: ReadonlyMap<number, Buffer>;
  /** The flow mode learnt last, or the header's. */
  readonly flowMode: FlowMode;
}

export class SpoolFormatError extends Error {
  override readonly name = 'SpoolFormatError';
}

/**
 * Fills the fixed prefix of a record whose body is `parts` (written after it in the same write);
 * `prefix` is RECORD_PREFIX_BYTES long.
 */
function fillPrefix(prefix: Buffer, type: RecordType, epoch: number, parts: readonly Buffer[]): Buffer {
  let length = 0;
  for (const part of parts) length += part.length;
  prefix[0] = RECORD_TAG;
  prefix[1] = type;
  prefix.writeUInt32BE(epoch, 2);
  prefix.writeUInt32BE(length, 6);
  let checksum = crc32(prefix.subarray(CHECKED_PREFIX.start, CHECKED_PREFIX.end));
  for (const part of parts) checksum = crc32(part, checksum);
  prefix.writeUInt32BE(checksum, 10);
  return prefix;
}

/** A transfer id as records carry it. */
export function transferIdBytes(transferId: string): Buffer {
  const id = Buffer.from(transferId, 'latin1');
  if (id.length > 255) throw new SpoolFormatError('transfer id longer than 255 bytes');
  return id;
}

/** A record as the buffers of one write. */
function encodeRecord(type: RecordType, epoch: number, body: readonly Buffer[]): Buffer[] {
  return [fillPrefix(Buffer.allocUnsafe(RECORD_PREFIX_BYTES), type, epoch, body), ...body];
}

export function encodeHeader(epoch: number, header: SpoolHeader): Buffer[] {
  return encodeRecord(RecordType.Header, epoch, [Buffer.from(JSON.stringify(header), 'utf8')]);
}

/** Bytes of a packet record. */
export function packetRecordBytes(id: Buffer, payload: Buffer): number {
  return RECORD_PREFIX_BYTES + 1 + id.length + 1 + payload.length;
}

/**
 * A packet record as two buffers: its prefix and transfer id in one, then the payload itself,
 * not copied (this runs once per acknowledged packet).
 */
export function encodePacket(epoch: number, id: Buffer, index: number, payload: Buffer): [Buffer, Buffer] {
  const head = Buffer.allocUnsafe(RECORD_PREFIX_BYTES + 1 + id.length + 1);
  const meta = head.subarray(RECORD_PREFIX_BYTES);
  meta[0] = id.length;
  id.copy(meta, 1);
  meta[1 + id.length] = index;
  fillPrefix(head, RecordType.Packet, epoch, [meta, payload]);
  return [head, payload];
}

export function encodeFlowMode(epoch: number, id: Buffer, mode: FlowMode): Buffer[] {
  return encodeRecord(RecordType.FlowMode, epoch, [
    Buffer.from([id.length]),
    id,
    Buffer.from([FLOW_MODES.indexOf(mode)]),
  ]);
}

export function encodeEnd(epoch: number, id: Buffer): Buffer[] {
  return encodeRecord(RecordType.End, epoch, [Buffer.from([id.length]), id]);
}

/** One record read back. */
export type SpoolRecord =
  | { readonly type: 'header'; readonly header: SpoolHeader }
  | { readonly type: 'packet'; readonly transferId: string; readonly index: number; readonly payload: Buffer }
  | { readonly type: 'mode'; readonly transferId: string; readonly mode: FlowMode }
  | { readonly type: 'end'; readonly transferId: string };

/** A segment read back: its epoch (of its first record), its records, and why reading stopped. */
export interface SegmentContents {
  /** Undefined when not even a first record could be read (an empty or reused-then-cut segment). */
  readonly epoch: number | undefined;
  readonly records: SpoolRecord[];
  /** Bytes read as records. */
  readonly length: number;
  /**
   * A record of the segment's epoch that did not check out (a write cut short by a crash, or
   * damage); absent when reading stopped at the end of the file or at an earlier use's records.
   */
  readonly damage?: string;
}

/** Reads a segment's records, in order, up to the first that is not of its current use. */
export function decodeSegment(file: Buffer): SegmentContents {
  const records: SpoolRecord[] = [];
  let epoch: number | undefined;
  let offset = 0;
  while (offset + RECORD_PREFIX_BYTES <= file.length && file[offset] === RECORD_TAG) {
    const recordEpoch = file.readUInt32BE(offset + 2);
    if (epoch !== undefined && recordEpoch !== epoch) break;
    const end = offset + RECORD_PREFIX_BYTES + file.readUInt32BE(offset + 6);
    const checksum =
      end <= file.length
        ? crc32(
            file.subarray(offset + RECORD_PREFIX_BYTES, end),
            crc32(file.subarray(offset + CHECKED_PREFIX.start, offset + CHECKED_PREFIX.end)),
          )
        : undefined;
    if (checksum === undefined || checksum !== file.readUInt32BE(offset + 10)) {
      // A first record that does not check out is an empty segment, or one whose first write of
      // a new use was cut short: nothing of that use was acknowledged.
      if (epoch === undefined) return { epoch, records, length: offset };
      return { epoch, records, length: offset, damage: 'record cut short or checksum mismatch' };
    }
    const record = decodeRecord(file[offset + 1]!, file.subarray(offset + RECORD_PREFIX_BYTES, end));
    if (!record) return { epoch, records, length: offset, damage: 'record of an unknown type or shape' };
    epoch ??= recordEpoch;
    records.push(record);
    offset = end;
  }
  return { epoch, records, length: offset };
}

function decodeRecord(type: number, body: Buffer): SpoolRecord | undefined {
  if (type === RecordType.Header) {
    let header: unknown;
    try {
      header = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
    return isHeader(header) ? { type: 'header', header } : undefined;
  }
  if (body.length < 1 || body.length < 1 + body[0]!) return undefined;
  const transferId = body.subarray(1, 1 + body[0]!).toString('latin1');
  const rest = body.subarray(1 + body[0]!);
  switch (type) {
    case RecordType.Packet:
      return rest.length >= 1
        ? { type: 'packet', transferId, index: rest[0]!, payload: rest.subarray(1) }
        : undefined;
    case RecordType.FlowMode:
      return rest.length === 1 && FLOW_MODES[rest[0]!] !== undefined
        ? { type: 'mode', transferId, mode: FLOW_MODES[rest[0]!]! }
        : undefined;
    case RecordType.End:
      return rest.length === 0 ? { type: 'end', transferId } : undefined;
    default:
      return undefined;
  }
}

function isHeader(value: unknown): value is SpoolHeader {
  const header = value as SpoolHeader;
  return (
    typeof header === 'object' &&
    header !== null &&
    typeof header.transferId === 'string' &&
    Number.isInteger(header.deviceId) &&
    Number.isInteger(header.clientType) &&
    typeof header.remote?.address === 'string' &&
    Number.isInteger(header.remote?.port) &&
    Number.isInteger(header.packetCount) &&
    header.packetCount >= 1 &&
    header.packetCount <= MAX_PACKET_COUNT &&
    Number.isInteger(header.maxPacketSize) &&
    header.maxPacketSize > DATA_HEADER_BYTES &&
    (header.imageSize === null || Number.isInteger(header.imageSize)) &&
    Number.isFinite(header.acceptedAt) &&
    FLOW_MODES.includes(header.flowMode)
  );
}

/**
 * Replays records in log order into the transfers still in flight: a header starts (or, written
 * again when a transfer is moved forward, confirms) a transfer, packets and modes add to it (the
 * last record of an index wins), an end removes it; records of a transfer whose header is not in
 * the log are ignored.
 */
export function replay(records: Iterable<SpoolRecord>): SpoolContents[] {
  const transfers = new Map<
    string,
    { header: SpoolHeader; packets: Map<number, Buffer>; flowMode: FlowMode }
  >();
  for (const record of records) {
    if (record.type === 'header') {
      const existing = transfers.get(record.header.transferId);
      if (existing) existing.flowMode = record.header.flowMode;
      else
        transfers.set(record.header.transferId, {
          header: record.header,
          packets: new Map(),
          flowMode: record.header.flowMode,
        });
      continue;
    }
    const transfer = transfers.get(record.transferId);
    if (!transfer) continue;
    if (record.type === 'end') transfers.delete(record.transferId);
    else if (record.type === 'mode') transfer.flowMode = record.mode;
    // The last record of an index wins: a packet replaced (a late copy giving way) is written again.
    else if (record.index < transfer.header.packetCount) transfer.packets.set(record.index, record.payload);
  }
  return [...transfers.values()];
}

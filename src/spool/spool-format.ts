import { crc32 } from 'node:zlib';

/**
 * The spool file of one transfer: a header record, then one record per acknowledged packet, then
 * (once the image is stored) a stored record. Records are appended whole with O_APPEND, each
 * with a CRC, so a file cut short by a crash still reads up to its last complete record.
 *
 *   header: "CIS1" | u32 json length | json | u32 crc32(json)
 *   packet: 'P'    | u8 index | u32 payload length | u32 crc32(payload) | payload
 *   mode:   'F'    | u8 flow mode (1 stop-and-wait, 2 burst)
 *   stored: 'S'    | u32 json length | u32 crc32(json) | json
 */
export const SPOOL_MAGIC = Buffer.from('CIS1', 'ascii');
const PACKET_TAG = 0x50;
const STORED_TAG = 0x53;
const MODE_TAG = 0x46;
const FLOW_MODES = ['probing', 'stop-and-wait', 'burst'] as const;
export type SpooledFlowMode = (typeof FLOW_MODES)[number];
const PACKET_HEADER_BYTES = 1 + 1 + 4 + 4;
const STORED_HEADER_BYTES = 1 + 4 + 4;

/** What a spool header records of a transfer. */
export interface SpoolHeader {
  readonly transferId: string;
  readonly key: string;
  readonly clientType: number;
  readonly deviceId: number;
  readonly remote: { readonly address: string; readonly port: number; readonly localAddress?: string };
  readonly packetCount: number;
  readonly maxPacketSize: number;
  readonly imageSize: number | null;
  readonly acceptedAt: number;
  readonly flowMode: SpooledFlowMode;
}

export interface SpoolStored {
  readonly imageId: string;
  readonly storedAt: number;
}

export interface SpoolContents {
  readonly header: SpoolHeader;
  readonly packets: ReadonlyMap<number, Buffer>;
  readonly stored: SpoolStored | undefined;
  /** The last flow mode recorded, or the header's. */
  readonly flowMode: SpooledFlowMode;
  /** Bytes after the last complete record (a write cut short by a crash), or a record whose CRC failed. */
  readonly damagedTail: boolean;
}

export class SpoolFormatError extends Error {
  override readonly name = 'SpoolFormatError';
}

export function encodeHeader(header: SpoolHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const record = Buffer.allocUnsafe(SPOOL_MAGIC.length + 4 + json.length + 4);
  SPOOL_MAGIC.copy(record, 0);
  record.writeUInt32BE(json.length, 4);
  json.copy(record, 8);
  record.writeUInt32BE(crc32(json), 8 + json.length);
  return record;
}

/** The fixed part of a packet record; the payload follows it in the same write. */
export function encodePacketPrefix(index: number, payload: Buffer): Buffer {
  const prefix = Buffer.allocUnsafe(PACKET_HEADER_BYTES);
  prefix[0] = PACKET_TAG;
  prefix[1] = index;
  prefix.writeUInt32BE(payload.length, 2);
  prefix.writeUInt32BE(crc32(payload), 6);
  return prefix;
}

export function encodeFlowMode(mode: SpooledFlowMode): Buffer {
  return Buffer.from([MODE_TAG, FLOW_MODES.indexOf(mode)]);
}

export function encodeStored(stored: SpoolStored): Buffer {
  const json = Buffer.from(JSON.stringify(stored), 'utf8');
  const record = Buffer.allocUnsafe(STORED_HEADER_BYTES + json.length);
  record[0] = STORED_TAG;
  record.writeUInt32BE(json.length, 1);
  record.writeUInt32BE(crc32(json), 5);
  json.copy(record, STORED_HEADER_BYTES);
  return record;
}

function isHeader(value: unknown): value is SpoolHeader {
  const header = value as SpoolHeader;
  return (
    typeof header === 'object' &&
    header !== null &&
    typeof header.transferId === 'string' &&
    typeof header.key === 'string' &&
    Number.isInteger(header.deviceId) &&
    Number.isInteger(header.clientType) &&
    typeof header.remote?.address === 'string' &&
    Number.isInteger(header.remote?.port) &&
    Number.isInteger(header.packetCount) &&
    header.packetCount >= 1 &&
    header.packetCount <= 255 &&
    Number.isInteger(header.maxPacketSize) &&
    Number.isFinite(header.acceptedAt)
  );
}

/**
 * Reads a spool file. A bad header throws `SpoolFormatError` (the file is unusable); a damaged
 * record ends the reading there, keeping everything before it.
 */
export function decodeSpool(file: Buffer): SpoolContents {
  if (file.length < 8 || !file.subarray(0, 4).equals(SPOOL_MAGIC))
    throw new SpoolFormatError('not a spool file');
  const jsonLength = file.readUInt32BE(4);
  if (8 + jsonLength + 4 > file.length) throw new SpoolFormatError('header cut short');
  const json = file.subarray(8, 8 + jsonLength);
  if (crc32(json) !== file.readUInt32BE(8 + jsonLength))
    throw new SpoolFormatError('header checksum mismatch');
  let header: unknown;
  try {
    header = JSON.parse(json.toString('utf8'));
  } catch {
    throw new SpoolFormatError('header is not JSON');
  }
  if (!isHeader(header)) throw new SpoolFormatError('header fields missing or out of range');

  const packets = new Map<number, Buffer>();
  let stored: SpoolStored | undefined;
  let flowMode: SpooledFlowMode = FLOW_MODES.includes(header.flowMode) ? header.flowMode : 'probing';
  let offset = 8 + jsonLength + 4;
  while (offset < file.length) {
    const tag = file[offset];
    if (tag === PACKET_TAG && offset + PACKET_HEADER_BYTES <= file.length) {
      const index = file[offset + 1]!;
      const length = file.readUInt32BE(offset + 2);
      const end = offset + PACKET_HEADER_BYTES + length;
      if (end > file.length || index >= header.packetCount) break;
      const payload = file.subarray(offset + PACKET_HEADER_BYTES, end);
      if (crc32(payload) !== file.readUInt32BE(offset + 6)) break;
      if (!packets.has(index)) packets.set(index, payload);
      offset = end;
    } else if (tag === STORED_TAG && offset + STORED_HEADER_BYTES <= file.length) {
      const length = file.readUInt32BE(offset + 1);
      const end = offset + STORED_HEADER_BYTES + length;
      if (end > file.length) break;
      const body = file.subarray(offset + STORED_HEADER_BYTES, end);
      if (crc32(body) !== file.readUInt32BE(offset + 5)) break;
      try {
        stored = JSON.parse(body.toString('utf8')) as SpoolStored;
      } catch {
        break;
      }
      offset = end;
    } else if (tag === MODE_TAG && offset + 2 <= file.length && FLOW_MODES[file[offset + 1]!] !== undefined) {
      flowMode = FLOW_MODES[file[offset + 1]!]!;
      offset += 2;
    } else {
      break;
    }
  }
  return { header, packets, stored, flowMode, damagedTail: offset < file.length };
}

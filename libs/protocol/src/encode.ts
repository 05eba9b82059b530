/**
 * Typed frame → datagram, in both directions. Each frame is written into a buffer of exactly
 * its size, big-endian. A field outside its range is a programmer error and throws a
 * `RangeError`; nothing a device sends can reach these functions unchecked.
 */
import {
  AnalysisStatus,
  CameraOp,
  ClientType,
  CONFIDENCE_SCALE,
  NO_CLASS,
  RESTART_TRANSFER_COUNT,
  SpecialOp,
} from './codes.js';
import { assertUint, BYTE_MAX, byteWidthOf, UINT32_MAX, writeUintBE } from './bytes.js';
import type {
  AnalysisResult,
  DataPacket,
  DataReply,
  DeviceFrame,
  EndOfTransfer,
  ImageSizeField,
  MissingReport,
  PingReply,
  ServerFrame,
  UploadReply,
  UploadRequest,
} from './frames.js';
import { sanitizeLabel } from './label.js';
import {
  AnalysisResultLayout,
  ConfirmLayout,
  DataPacketLayout,
  DataReplyLayout,
  EndOfTransferLayout,
  Header,
  MissingReportLayout,
  PingReplyLayout,
  PingRequestLayout,
  UploadReplyLayout,
  UploadRequestLayout,
} from './layout.js';
import {
  CHECKSUM_BYTES,
  DATA_HEADER_BYTES,
  MAX_IMAGE_SIZE_FIELD_BYTES,
  MAX_LABEL_BYTES,
  MAX_MISSING_PER_REPLY,
  MAX_MISSING_WITH_CHECKSUM,
  MAX_UDP_PAYLOAD_BYTES,
} from './limits.js';

/**
 * Encodes a server → device frame. Every result is at most `MAX_REPLY_BYTES` (32) long.
 *
 * - A missing report with a `checksum` (generation C) appends it after at most
 *   `MAX_MISSING_WITH_CHECKSUM` (24) indices; with `restart` it is `[1, id, 3, 255, CRC(4)]`.
 * - The analysis result's label is sanitised (non-printable or non-ASCII characters become
 *   `?`) and truncated to `MAX_LABEL_BYTES` so the frame stays within 32 bytes; use
 *   `sanitizeLabel` to know in advance what the device will read.
 *
 * @throws RangeError when a field is outside its wire range: a byte field outside 0..255, a
 * 4-byte field outside 0..2^32-1, more than `MAX_MISSING_PER_REPLY` (28) missing indices (24 with
 * a checksum), a restart without a checksum or with indices, a
 * confidence that is not an integer in 0..10000, or a class other than `NO_CLASS` on a result
 * whose status is not `Analysed`.
 */
export function encodeServerFrame(frame: ServerFrame): Buffer {
  switch (frame.kind) {
    case 'ping-reply':
      return encodePingReply(frame);
    case 'upload-reply':
      return encodeUploadReply(frame);
    case 'data-reply':
      return encodeDataReply(frame);
    case 'missing-report':
      return encodeMissingReport(frame);
    case 'analysis-result':
      return encodeAnalysisResult(frame);
    default:
      return unreachable(frame);
  }
}

/**
 * Encodes a device → server frame (the fleet simulator's and the tests' side).
 *
 * - A confirmation without `confirmedOp` is the bare 3-byte form.
 * - An upload request carries S in exactly `imageSize.width` bytes when present.
 * - An end of transfer with a `checksum` is generation C's 8-byte form.
 * - A data packet carries `declaredLength` as L even when it differs from the payload's length,
 *   so that tests can send the inconsistent packets the server must NACK.
 *
 * @throws RangeError when a field is outside its wire range, S does not fit its width (1..8
 * bytes) or is not a safe integer, or the packet would not fit a UDP datagram.
 */
export function encodeDeviceFrame(frame: DeviceFrame): Buffer {
  switch (frame.kind) {
    case 'ping':
      return withHeader(PingRequestLayout.bytes, ClientType.Special, frame.deviceId, SpecialOp.Ping);
    case 'confirm':
      return encodeConfirmation(frame.deviceId, frame.confirmedOp);
    case 'upload-request':
      return encodeUploadRequest(frame);
    case 'data':
      return encodeDataPacket(frame);
    case 'end-of-transfer':
      return encodeEndOfTransfer(frame);
    default:
      return unreachable(frame);
  }
}

function encodePingReply(frame: PingReply): Buffer {
  const { bytes, protocolVersion, flags } = PingReplyLayout;
  const datagram = withHeader(bytes, ClientType.Special, frame.deviceId, SpecialOp.Ping);
  writeByte(datagram, protocolVersion, 'protocolVersion', frame.protocolVersion);
  return writeByte(datagram, flags, 'flags', frame.flags);
}

function encodeUploadReply(frame: UploadReply): Buffer {
  const { bytes, status, packetCount, maxPacketSize } = UploadReplyLayout;
  const datagram = withHeader(bytes, ClientType.CableCamera, frame.deviceId, CameraOp.UploadRequest);
  writeByte(datagram, status, 'status', frame.status);
  writeByte(datagram, packetCount, 'packetCount', frame.packetCount);
  return writeUint32(datagram, maxPacketSize, 'maxPacketSize', frame.maxPacketSize);
}

function encodeDataReply(frame: DataReply): Buffer {
  const { bytes, index, status, length } = DataReplyLayout;
  const datagram = withHeader(bytes, ClientType.CableCamera, frame.deviceId, CameraOp.DataPacket);
  writeByte(datagram, index, 'index', frame.index);
  writeByte(datagram, status, 'status', frame.status);
  return writeUint32(datagram, length, 'length', frame.length);
}

function encodeEndOfTransfer(frame: EndOfTransfer): Buffer {
  const { bytes, withChecksumBytes, packetCount, checksum } = EndOfTransferLayout;
  const size = frame.checksum === undefined ? bytes : withChecksumBytes;
  const datagram = withHeader(size, ClientType.CableCamera, frame.deviceId, CameraOp.EndOfTransfer);
  writeByte(datagram, packetCount, 'packetCount', frame.packetCount);
  return frame.checksum === undefined
    ? datagram
    : writeUint32(datagram, checksum, 'checksum', frame.checksum);
}

function encodeMissingReport(frame: MissingReport): Buffer {
  const { count, indices } = MissingReportLayout;
  const listed = frame.missing.length;
  if (frame.restart) return encodeRestart(frame);
  const limit = frame.checksum === undefined ? MAX_MISSING_PER_REPLY : MAX_MISSING_WITH_CHECKSUM;
  if (listed > limit) {
    const form = frame.checksum === undefined ? 'a missing report' : 'a missing report with a checksum';
    throw new RangeError(`${form} lists at most ${limit} indices, got ${listed}`);
  }
  const trailer = frame.checksum === undefined ? 0 : CHECKSUM_BYTES;
  const datagram = withHeader(
    indices + listed + trailer,
    ClientType.CableCamera,
    frame.deviceId,
    CameraOp.EndOfTransfer,
  );
  writeByte(datagram, count, 'missing.length', listed);
  frame.missing.forEach((index, position) => writeByte(datagram, indices + position, 'missing index', index));
  if (frame.checksum !== undefined) writeUint32(datagram, indices + listed, 'checksum', frame.checksum);
  return datagram;
}

/** `[1, id, 3, 255, CRC(4)]`: only ever an answer to a checksum-bearing op 3. */
function encodeRestart(frame: MissingReport): Buffer {
  const { count, indices } = MissingReportLayout;
  if (frame.checksum === undefined) {
    throw new RangeError(
      'a restart report (k = 255) echoes a checksum: only generation C is told to start again',
    );
  }
  if (frame.missing.length > 0) {
    throw new RangeError(`a restart report lists no index, got ${frame.missing.length}`);
  }
  const datagram = withHeader(
    indices + CHECKSUM_BYTES,
    ClientType.CableCamera,
    frame.deviceId,
    CameraOp.EndOfTransfer,
  );
  datagram[count] = RESTART_TRANSFER_COUNT;
  return writeUint32(datagram, indices, 'checksum', frame.checksum);
}

function encodeAnalysisResult(frame: AnalysisResult): Buffer {
  const layout = AnalysisResultLayout;
  assertUint('confidence', frame.confidence, CONFIDENCE_SCALE);
  if (frame.status !== AnalysisStatus.Analysed && frame.classIndex !== NO_CLASS) {
    throw new RangeError(`classIndex must be NO_CLASS (${NO_CLASS}) when status is ${frame.status}`);
  }
  const label = sanitizeLabel(frame.label, MAX_LABEL_BYTES);
  const datagram = withHeader(
    layout.label + label.length,
    ClientType.CableCamera,
    frame.deviceId,
    CameraOp.AnalysisResult,
  );
  writeByte(datagram, layout.status, 'status', frame.status);
  writeByte(datagram, layout.verdict, 'verdict', frame.verdict);
  writeByte(datagram, layout.classIndex, 'classIndex', frame.classIndex);
  datagram.writeUInt16BE(frame.confidence, layout.confidence);
  datagram.write(label, layout.label, 'latin1');
  return datagram;
}

function encodeConfirmation(deviceId: number, confirmedOp: number | undefined): Buffer {
  const { bareBytes, withOpBytes } = ConfirmLayout;
  const bytes = confirmedOp === undefined ? bareBytes : withOpBytes;
  const datagram = withHeader(bytes, ClientType.CableCamera, deviceId, CameraOp.Confirm);
  return confirmedOp === undefined
    ? datagram
    : writeByte(datagram, ConfirmLayout.confirmedOp, 'confirmedOp', confirmedOp);
}

function encodeUploadRequest(frame: UploadRequest): Buffer {
  const { packetCount, maxPacketSize, imageSize } = UploadRequestLayout;
  const width = frame.imageSize === undefined ? 0 : checkImageSize(frame.imageSize);
  const datagram = withHeader(
    imageSize + width,
    ClientType.CableCamera,
    frame.deviceId,
    CameraOp.UploadRequest,
  );
  writeByte(datagram, packetCount, 'packetCount', frame.packetCount);
  writeUint32(datagram, maxPacketSize, 'maxPacketSize', frame.maxPacketSize);
  if (frame.imageSize !== undefined) writeUintBE(datagram, frame.imageSize.value, imageSize, width);
  return datagram;
}

/** Validates S and returns its width. */
function checkImageSize({ value, width }: ImageSizeField): number {
  assertUint('imageSize.width', width, MAX_IMAGE_SIZE_FIELD_BYTES);
  if (width === 0) throw new RangeError('imageSize.width must be 1..8: omit imageSize to send no S');
  assertUint('imageSize.value', value, Number.MAX_SAFE_INTEGER);
  if (byteWidthOf(value) > width)
    throw new RangeError(`imageSize.value ${value} does not fit ${width} bytes`);
  return width;
}

function encodeDataPacket(frame: DataPacket): Buffer {
  const { index, declaredLength, payload } = DataPacketLayout;
  const maxPayload = MAX_UDP_PAYLOAD_BYTES - DATA_HEADER_BYTES;
  assertUint('payload.length', frame.payload.length, maxPayload);
  // allocUnsafe is safe here: the header fields are written below and the payload fills the rest.
  const datagram = Buffer.allocUnsafe(payload + frame.payload.length);
  writeHeader(datagram, ClientType.CableCamera, frame.deviceId, CameraOp.DataPacket);
  writeByte(datagram, index, 'index', frame.index);
  writeUint32(datagram, declaredLength, 'declaredLength', frame.declaredLength);
  frame.payload.copy(datagram, payload);
  return datagram;
}

/** A zero-filled buffer of `bytes` with the common header written. */
function withHeader(bytes: number, clientType: ClientType, deviceId: number, op: number): Buffer {
  return writeHeader(Buffer.alloc(bytes), clientType, deviceId, op);
}

function writeHeader(datagram: Buffer, clientType: ClientType, deviceId: number, op: number): Buffer {
  datagram[Header.clientType] = clientType;
  writeByte(datagram, Header.deviceId, 'deviceId', deviceId);
  datagram[Header.op] = op;
  return datagram;
}

function writeByte(datagram: Buffer, offset: number, field: string, value: number): Buffer {
  assertUint(field, value, BYTE_MAX);
  datagram[offset] = value;
  return datagram;
}

function writeUint32(datagram: Buffer, offset: number, field: string, value: number): Buffer {
  assertUint(field, value, UINT32_MAX);
  datagram.writeUInt32BE(value, offset);
  return datagram;
}

function unreachable(frame: never): never {
  throw new TypeError(`unknown frame kind ${String((frame as { kind?: unknown }).kind)}`);
}

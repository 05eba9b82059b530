/**
 * Datagram → typed frame, in both directions. Every length is checked before a field is read,
 * and no input makes these functions throw: a datagram is either a frame or a typed rejection.
 *
 * Length rules: a frame whose size is fixed by the protocol must have exactly that size (a
 * shorter one is `too-short`, a longer one `too-long`), so that a future extension can give
 * meaning to extra bytes knowing that nothing in the field already sends them. The one
 * exception is the ping exchange, which is how peers learn each other's protocol version: a
 * ping or ping reply ignores bytes past the ones this version defines, so that a newer peer's
 * longer ping still gets an answer that tells it which version it is talking to.
 */
import {
  AnalysisStatus,
  CameraOp,
  ClientType,
  CONFIDENCE_SCALE,
  NO_CLASS,
  ReplyStatus,
  RESTART_TRANSFER_COUNT,
  SpecialOp,
  Verdict,
} from './codes.js';
import { isEnumMember, readSafeUintBE } from './bytes.js';
import type {
  Decoded,
  DeviceFrame,
  ImageSizeField,
  Rejection,
  RejectionReason,
  ServerFrame,
} from './frames.js';
import { isPrintableAscii } from './label.js';
import {
  AnalysisResultLayout,
  ConfirmLayout,
  DataPacketLayout,
  DataReplyLayout,
  EndOfTransferLayout,
  Header,
  MissingReportLayout,
  PingReplyLayout,
  UploadReplyLayout,
  UploadRequestLayout,
} from './layout.js';
import {
  CHECKSUM_BYTES,
  HEADER_BYTES,
  MAX_IMAGE_SIZE_FIELD_BYTES,
  MAX_MISSING_PER_REPLY,
  MAX_REPLY_BYTES,
  MAX_UDP_PAYLOAD_BYTES,
  UPLOAD_REQUEST_BASE_BYTES,
} from './limits.js';

/**
 * Decodes a datagram a device sent to the server.
 *
 * | frame | accepted length (bytes) |
 * |---|---|
 * | ping `[0, id, 0, …]` | 3 or more (bytes after the third are ignored) |
 * | confirmation `[1, id, 0]` / `[1, id, 0, op]` | 3 or 4 |
 * | upload request `[1, id, 1, N, P(4), S(0..8)]` | 8 to 16; S above `Number.MAX_SAFE_INTEGER` is `field-out-of-range` |
 * | data packet `[1, id, 2, i, L(4), payload…]` | 8 or more; L is not compared with the payload here |
 * | end of transfer `[1, id, 3, N]`, generation C's `[1, id, 3, N, CRC(4)]` | exactly 4 or 8 |
 *
 * Any datagram shorter than the 3-byte header is `too-short`, any longer than a UDP payload
 * can be is `too-long`; byte 0 other than 0 or 1 is `unknown-client-type`; an op this table
 * does not list is `unknown-op`. Field values (N = 0, i ≥ N, P too small…) are the transfer
 * layer's to judge: they are returned as sent.
 */
export function decodeDeviceFrame(datagram: Buffer): Decoded<DeviceFrame> {
  const size = checkLength(datagram, 'datagram', HEADER_BYTES, MAX_UDP_PAYLOAD_BYTES);
  if (size) return size;
  const clientType = datagram[Header.clientType];
  const deviceId = datagram[Header.deviceId];
  const op = datagram[Header.op];
  if (clientType === ClientType.Special) {
    // The header is the whole ping; bytes after it are ignored (see the module comment).
    return op === SpecialOp.Ping ? accept({ kind: 'ping', deviceId }) : unknownOp(clientType, op);
  }
  if (clientType !== ClientType.CableCamera) {
    return reject('unknown-client-type', `client type ${clientType} is not 0 (special) or 1 (camera)`);
  }
  switch (op) {
    case CameraOp.Confirm:
      return decodeConfirmation(datagram, deviceId);
    case CameraOp.UploadRequest:
      return decodeUploadRequest(datagram, deviceId);
    case CameraOp.DataPacket:
      return decodeDataPacket(datagram, deviceId);
    case CameraOp.EndOfTransfer:
      return decodeEndOfTransfer(datagram, deviceId);
    default:
      return unknownOp(clientType, op);
  }
}

/**
 * Decodes a datagram the server sent to a device (the fleet simulator's side).
 *
 * | frame | accepted length (bytes) | field checks |
 * |---|---|---|
 * | ping reply `[0, id, 0, version, flags, …]` | 5 to 32 (bytes after the fifth are ignored) | none |
 * | upload reply `[1, id, 1, status, N, P(4)]` | exactly 9 | status is a `ReplyStatus` |
 * | data reply `[1, id, 2, i, status, L(4)]` | exactly 9 | status is a `ReplyStatus` |
 * | missing report `[1, id, 3, k, id_1 … id_k]` | exactly 4 + k | k ≤ 28 |
 * | its checksum form `[1, id, 3, k, id_1 … id_k, CRC(4)]` (generation C) | exactly 8 + k | k ≤ 24, or k = 255 (restart) with no index |
 * | analysis result `[1, id, 4, status, verdict, class, confidence(2), label…]` | 8 to 32 | status, verdict known; class 255 unless analysed; confidence ≤ 10000; label printable ASCII |
 *
 * Anything longer than the 32-byte reply limit is `too-long`, whatever it claims to be.
 * A field outside its range is `field-out-of-range`: the server's encoder never produces one.
 */
export function decodeServerFrame(datagram: Buffer): Decoded<ServerFrame> {
  const size = checkLength(datagram, 'reply', HEADER_BYTES, MAX_REPLY_BYTES);
  if (size) return size;
  const clientType = datagram[Header.clientType];
  const deviceId = datagram[Header.deviceId];
  const op = datagram[Header.op];
  if (clientType === ClientType.Special) {
    if (op !== SpecialOp.Ping) return unknownOp(clientType, op);
    const { bytes, protocolVersion, flags } = PingReplyLayout;
    const ping = checkLength(datagram, 'ping reply', bytes, MAX_REPLY_BYTES);
    return (
      ping ??
      accept({
        kind: 'ping-reply',
        deviceId,
        protocolVersion: datagram[protocolVersion],
        flags: datagram[flags],
      })
    );
  }
  if (clientType !== ClientType.CableCamera) {
    return reject('unknown-client-type', `client type ${clientType} is not 0 (special) or 1 (camera)`);
  }
  switch (op) {
    case CameraOp.UploadRequest:
      return decodeUploadReply(datagram, deviceId);
    case CameraOp.DataPacket:
      return decodeDataReply(datagram, deviceId);
    case CameraOp.EndOfTransfer:
      return decodeMissingReport(datagram, deviceId);
    case CameraOp.AnalysisResult:
      return decodeAnalysisResult(datagram, deviceId);
    default:
      return unknownOp(clientType, op);
  }
}

function decodeConfirmation(datagram: Buffer, deviceId: number): Decoded<DeviceFrame> {
  const { bareBytes, withOpBytes, confirmedOp } = ConfirmLayout;
  const size = checkLength(datagram, 'confirmation', bareBytes, withOpBytes);
  if (size) return size;
  const op = datagram.length === withOpBytes ? datagram[confirmedOp] : undefined;
  return accept({ kind: 'confirm', deviceId, confirmedOp: op });
}

function decodeUploadRequest(datagram: Buffer, deviceId: number): Decoded<DeviceFrame> {
  const { packetCount, maxPacketSize, imageSize } = UploadRequestLayout;
  const maxBytes = UPLOAD_REQUEST_BASE_BYTES + MAX_IMAGE_SIZE_FIELD_BYTES;
  const size = checkLength(datagram, 'upload request', UPLOAD_REQUEST_BASE_BYTES, maxBytes);
  if (size) return size;
  const width = datagram.length - imageSize;
  let sizeField: ImageSizeField | undefined;
  if (width > 0) {
    const value = readSafeUintBE(datagram, imageSize, width);
    if (value === undefined) {
      return reject('field-out-of-range', `upload request image size (${width} bytes) exceeds 2^53 - 1`);
    }
    sizeField = { value, width };
  }
  return accept({
    kind: 'upload-request',
    deviceId,
    packetCount: datagram[packetCount],
    maxPacketSize: datagram.readUInt32BE(maxPacketSize),
    imageSize: sizeField,
  });
}

function decodeDataPacket(datagram: Buffer, deviceId: number): Decoded<DeviceFrame> {
  const { index, declaredLength, payload } = DataPacketLayout;
  const size = checkLength(datagram, 'data packet', payload, MAX_UDP_PAYLOAD_BYTES);
  if (size) return size;
  return accept({
    kind: 'data',
    deviceId,
    index: datagram[index],
    declaredLength: datagram.readUInt32BE(declaredLength),
    payload: datagram.subarray(payload),
  });
}

function decodeEndOfTransfer(datagram: Buffer, deviceId: number): Decoded<DeviceFrame> {
  const { bytes, withChecksumBytes, packetCount, checksum } = EndOfTransferLayout;
  if (datagram.length !== bytes && datagram.length !== withChecksumBytes) {
    const reason = datagram.length < bytes ? 'too-short' : 'too-long';
    return reject(
      reason,
      `end of transfer is ${datagram.length} bytes, expected ${bytes} or ${withChecksumBytes} (with a checksum)`,
    );
  }
  const frame = { kind: 'end-of-transfer', deviceId, packetCount: datagram[packetCount] } as const;
  if (datagram.length === bytes) return accept(frame);
  return accept({ ...frame, checksum: datagram.readUInt32BE(checksum) });
}

function decodeUploadReply(datagram: Buffer, deviceId: number): Decoded<ServerFrame> {
  const { bytes, status, packetCount, maxPacketSize } = UploadReplyLayout;
  const size = checkLength(datagram, 'upload reply', bytes, bytes);
  if (size) return size;
  const statusByte = datagram[status];
  if (!isEnumMember(ReplyStatus, statusByte)) {
    return reject('field-out-of-range', `upload reply status ${statusByte} is not a known reason code`);
  }
  return accept({
    kind: 'upload-reply',
    deviceId,
    status: statusByte,
    packetCount: datagram[packetCount],
    maxPacketSize: datagram.readUInt32BE(maxPacketSize),
  });
}

function decodeDataReply(datagram: Buffer, deviceId: number): Decoded<ServerFrame> {
  const { bytes, index, status, length } = DataReplyLayout;
  const size = checkLength(datagram, 'data reply', bytes, bytes);
  if (size) return size;
  const statusByte = datagram[status];
  if (!isEnumMember(ReplyStatus, statusByte)) {
    return reject('field-out-of-range', `data reply status ${statusByte} is not a known reason code`);
  }
  return accept({
    kind: 'data-reply',
    deviceId,
    index: datagram[index],
    status: statusByte,
    length: datagram.readUInt32BE(length),
  });
}

function decodeMissingReport(datagram: Buffer, deviceId: number): Decoded<ServerFrame> {
  const { count, indices } = MissingReportLayout;
  const header = checkLength(datagram, 'missing report', indices, MAX_REPLY_BYTES);
  if (header) return header;
  const listed = datagram[count];
  if (listed === RESTART_TRANSFER_COUNT) {
    const restartBytes = indices + CHECKSUM_BYTES;
    const size = checkLength(datagram, 'restart report', restartBytes, restartBytes);
    if (size) return size;
    const checksum = datagram.readUInt32BE(indices);
    return accept({ kind: 'missing-report', deviceId, missing: [], checksum, restart: true });
  }
  if (listed > MAX_MISSING_PER_REPLY) {
    return reject(
      'field-out-of-range',
      `missing report lists ${listed} indices, at most ${MAX_MISSING_PER_REPLY}`,
    );
  }
  const plainBytes = indices + listed;
  // The checksum form of more than 24 indices would pass 32 bytes: the header check refused it.
  const withChecksumBytes = plainBytes + CHECKSUM_BYTES;
  if (datagram.length !== plainBytes && datagram.length !== withChecksumBytes) {
    const reason = datagram.length < plainBytes ? 'too-short' : 'too-long';
    return reject(
      reason,
      `missing report of ${listed} is ${datagram.length} bytes, expected ${plainBytes} or ${withChecksumBytes} (with a checksum)`,
    );
  }
  const missing = [...datagram.subarray(indices, plainBytes)];
  if (datagram.length === plainBytes) return accept({ kind: 'missing-report', deviceId, missing });
  return accept({ kind: 'missing-report', deviceId, missing, checksum: datagram.readUInt32BE(plainBytes) });
}

function decodeAnalysisResult(datagram: Buffer, deviceId: number): Decoded<ServerFrame> {
  const layout = AnalysisResultLayout;
  const size = checkLength(datagram, 'analysis result', layout.label, MAX_REPLY_BYTES);
  if (size) return size;
  const status = datagram[layout.status];
  const verdict = datagram[layout.verdict];
  const classIndex = datagram[layout.classIndex];
  const confidence = datagram.readUInt16BE(layout.confidence);
  const label = datagram.subarray(layout.label);
  if (!isEnumMember(AnalysisStatus, status)) {
    return reject('field-out-of-range', `analysis status ${status} is not 0, 1 or 2`);
  }
  if (!isEnumMember(Verdict, verdict)) {
    return reject('field-out-of-range', `analysis verdict ${verdict} is not 0, 1 or 2`);
  }
  if (status !== AnalysisStatus.Analysed && classIndex !== NO_CLASS) {
    return reject(
      'field-out-of-range',
      `analysis class ${classIndex} with status ${status}, expected ${NO_CLASS}`,
    );
  }
  if (confidence > CONFIDENCE_SCALE) {
    return reject('field-out-of-range', `analysis confidence ${confidence} is above ${CONFIDENCE_SCALE}`);
  }
  if (!label.every(isPrintableAscii)) {
    return reject('field-out-of-range', 'analysis label is not printable ASCII');
  }
  return accept({
    kind: 'analysis-result',
    deviceId,
    status,
    verdict,
    classIndex,
    confidence,
    label: label.toString('latin1'),
  });
}

/** A rejection when the datagram is not `min..max` bytes long, `undefined` when it is. */
function checkLength(datagram: Buffer, frame: string, min: number, max: number): Rejection | undefined {
  if (datagram.length >= min && datagram.length <= max) return undefined;
  const reason = datagram.length < min ? 'too-short' : 'too-long';
  const expected = min === max ? `${min}` : `${min}..${max}`;
  return reject(reason, `${frame} is ${datagram.length} bytes, expected ${expected}`);
}

function unknownOp(clientType: number, op: number): Rejection {
  return reject('unknown-op', `op ${op} is not defined for client type ${clientType} in this direction`);
}

function accept<TFrame>(frame: TFrame): Decoded<TFrame> {
  return { ok: true, frame };
}

function reject(reason: RejectionReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}

/** The server's datagrams decoded, as a device (or the fleet simulator) reads them; the length rules are `decode.ts`'s. */
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
import { isEnumMember } from './bytes.js';
import { accept, checkLength, reject, unknownOp } from './decoded.js';
import type { Decoded, ServerFrame } from './frames.js';
import { isPrintableAscii } from './label.js';
import {
  AnalysisResultLayout,
  DataReplyLayout,
  Header,
  MissingReportLayout,
  PingReplyLayout,
  UploadReplyLayout,
} from './layout.js';
import { CHECKSUM_BYTES, HEADER_BYTES, MAX_MISSING_PER_REPLY, MAX_REPLY_BYTES } from './limits.js';

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

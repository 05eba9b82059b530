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
import { CameraOp, ClientType, SpecialOp } from './codes.js';
import { readSafeUintBE } from './bytes.js';
import { accept, checkLength, reject, unknownOp } from './decoded.js';
import type { Decoded, DeviceFrame, ImageSizeField } from './frames.js';
import {
  ConfirmLayout,
  DataPacketLayout,
  EndOfTransferLayout,
  Header,
  UploadRequestLayout,
} from './layout.js';
import {
  HEADER_BYTES,
  MAX_IMAGE_SIZE_FIELD_BYTES,
  MAX_UDP_PAYLOAD_BYTES,
  UPLOAD_REQUEST_BASE_BYTES,
} from './limits.js';

export { decodeServerFrame } from './decode-replies.js';

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

/**
 * Where each field sits in each frame, and how long the fixed-size frames are. Shared by the
 * decoder and the encoder so that both read the same map. Internal to the codec.
 */
import {
  ANALYSIS_RESULT_HEADER_BYTES,
  CHECKSUM_BYTES,
  DATA_HEADER_BYTES,
  HEADER_BYTES,
  MISSING_REPLY_HEADER_BYTES,
  UPLOAD_REQUEST_BASE_BYTES,
} from './limits.js';

/** Width of P and L. */
export const UINT32_BYTES = 4;

/** Width of the op-4 confidence. */
export const UINT16_BYTES = 2;

/** The byte right after the common header, where every body starts. */
const BODY = HEADER_BYTES;

/** The common 3-byte header. */
export const Header = { clientType: 0, deviceId: 1, op: 2 } as const;

/** `[0, id, 0]`: the header alone; the decoder ignores bytes after it (see `decodeDeviceFrame`). */
export const PingRequestLayout = { bytes: HEADER_BYTES } as const;

/** `[1, id, 0]` or `[1, id, 0, op]`. */
export const ConfirmLayout = {
  confirmedOp: BODY,
  bareBytes: HEADER_BYTES,
  withOpBytes: BODY + 1,
} as const;

/** `[1, id, 1, N, P(4), S(0..8)]`. */
export const UploadRequestLayout = {
  packetCount: BODY,
  maxPacketSize: BODY + 1,
  imageSize: UPLOAD_REQUEST_BASE_BYTES,
} as const;

/** `[1, id, 2, i, L(4), payload…]`. */
export const DataPacketLayout = {
  index: BODY,
  declaredLength: BODY + 1,
  payload: DATA_HEADER_BYTES,
} as const;

/** `[1, id, 3, N]` (generation B) or `[1, id, 3, N, CRC(4)]` (generation C). */
export const EndOfTransferLayout = {
  packetCount: BODY,
  bytes: BODY + 1,
  checksum: BODY + 1,
  withChecksumBytes: BODY + 1 + CHECKSUM_BYTES,
} as const;

/** `[0, id, 0, version, flags]`; a device ignores anything after (see `decodeServerFrame`). */
export const PingReplyLayout = { protocolVersion: BODY, flags: BODY + 1, bytes: BODY + 2 } as const;

/** `[1, id, 1, status, N, P(4)]`. */
export const UploadReplyLayout = {
  status: BODY,
  packetCount: BODY + 1,
  maxPacketSize: BODY + 2,
  bytes: BODY + 2 + UINT32_BYTES,
} as const;

/** `[1, id, 2, i, status, L(4)]`. */
export const DataReplyLayout = {
  index: BODY,
  status: BODY + 1,
  length: BODY + 2,
  bytes: BODY + 2 + UINT32_BYTES,
} as const;

/** `[1, id, 3, k, id_1 … id_k]`, generation C's CRC(4) after the k indices. */
export const MissingReportLayout = { count: BODY, indices: MISSING_REPLY_HEADER_BYTES } as const;

/** `[1, id, 4, status, verdict, class, confidence(2), label…]`. */
export const AnalysisResultLayout = {
  status: BODY,
  verdict: BODY + 1,
  classIndex: BODY + 2,
  confidence: BODY + 3,
  label: ANALYSIS_RESULT_HEADER_BYTES,
} as const;

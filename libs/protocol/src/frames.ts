import type { AnalysisStatus, ReplyStatus, Verdict } from './codes.js';

/** Frames a device sends to the server. */
export type DeviceFrame = PingRequest | Confirmation | UploadRequest | DataPacket | EndOfTransfer;

/** Frames the server sends to a device. */
export type ServerFrame = PingReply | UploadReply | DataReply | MissingReport | AnalysisResult;

/** `[0, id, 0]`: is the UDP side alive? */
export interface PingRequest {
  readonly kind: 'ping';
  readonly deviceId: number;
}

/** `[1, id, 0, op?]`: the device confirms a server frame (op 4 in practice). */
export interface Confirmation {
  readonly kind: 'confirm';
  readonly deviceId: number;
  /** The server op being confirmed; undefined when the device sent the bare 3-byte form. */
  readonly confirmedOp: number | undefined;
}

/** `[1, id, 1, N, P(4), S(0..8)]`: the device asks to upload an image. */
export interface UploadRequest {
  readonly kind: 'upload-request';
  readonly deviceId: number;
  /** N, 0..255 as sent (validity is the transfer layer's call). */
  readonly packetCount: number;
  /** P, including the 8-byte data header. */
  readonly maxPacketSize: number;
  /** S, when the device sent it; deployed firmware does not. */
  readonly imageSize: ImageSizeField | undefined;
}

/** The optional trailing size of an upload request, with the width it travelled in. */
export interface ImageSizeField {
  readonly value: number;
  /** 1..8 bytes. */
  readonly width: number;
}

/** `[1, id, 2, i, L(4), payload]`: one slice of the image. */
export interface DataPacket {
  readonly kind: 'data';
  readonly deviceId: number;
  readonly index: number;
  /** L as the device declared it; may differ from `payload.length` (the transfer layer NACKs). */
  readonly declaredLength: number;
  /** The bytes after the 8-byte header, a view on the datagram (not a copy). */
  readonly payload: Buffer;
}

/**
 * `[1, id, 3, N]`: generation B is done sending and asks what is missing; generation C sends
 * `[1, id, 3, N, CRC(4)]`, the CRC-32 of its whole image, for the gateway to verify.
 */
export interface EndOfTransfer {
  readonly kind: 'end-of-transfer';
  readonly deviceId: number;
  readonly packetCount: number;
  /** Generation C: CRC-32 (ISO-HDLC, zlib's) of the S image bytes; absent in the 4-byte form. */
  readonly checksum?: number;
}

/** `[0, id, 0, version, flags]` */
export interface PingReply {
  readonly kind: 'ping-reply';
  readonly deviceId: number;
  readonly protocolVersion: number;
  /** Bit set of `PingFlags`. */
  readonly flags: number;
}

/** `[1, id, 1, status, N, P(4)]`, 9 bytes. */
export interface UploadReply {
  readonly kind: 'upload-reply';
  readonly deviceId: number;
  readonly status: ReplyStatus;
  readonly packetCount: number;
  readonly maxPacketSize: number;
}

/** `[1, id, 2, i, status, L(4)]`, 9 bytes. */
export interface DataReply {
  readonly kind: 'data-reply';
  readonly deviceId: number;
  readonly index: number;
  readonly status: ReplyStatus;
  readonly length: number;
}

/**
 * The reply to an end of transfer. To generation B's 4-byte op 3: `[1, id, 3, k, id_1 … id_k]`,
 * k ≤ 28 indices still missing, k = 0 complete. To generation C's checksum-bearing op 3:
 * `[1, id, 3, k, id_1 … id_k, CRC(4)]` with the device's CRC echoed, k ≤ 24, k = 0 stored with
 * its CRC verified; or `[1, id, 3, 255, CRC(4)]` (`restart`): start again.
 */
export interface MissingReport {
  readonly kind: 'missing-report';
  readonly deviceId: number;
  /** Indices still missing; empty when complete, and with `restart`. */
  readonly missing: readonly number[];
  /** Generation C: the CRC of the op 3 answered, echoed after the indices. */
  readonly checksum?: number;
  /**
   * Generation C: k = `RESTART_TRANSFER_COUNT`, no transfer this CRC belongs to; the device sends
   * its request and whole burst again. Only with `checksum`, and no index listed.
   */
  readonly restart?: true;
}

/** `[1, id, 4, status, verdict, class, confidence(2), label…]`, at most 32 bytes. */
export interface AnalysisResult {
  readonly kind: 'analysis-result';
  readonly deviceId: number;
  readonly status: AnalysisStatus;
  readonly verdict: Verdict;
  /** Index in the model's label list; `NO_CLASS` when status is not `Analysed`. */
  readonly classIndex: number;
  /** Basis points, 0..10000. */
  readonly confidence: number;
  /** ASCII; the encoder truncates it to fit 32 bytes. */
  readonly label: string;
}

/** Why a datagram was not decoded. Used as a metric label: keep them short and stable. */
export type RejectionReason =
  'too-short' | 'too-long' | 'unknown-client-type' | 'unknown-op' | 'field-out-of-range';

/** A datagram that is not a frame of this protocol, and why. Never thrown: returned. */
export interface Rejection {
  readonly ok: false;
  readonly reason: RejectionReason;
  /** Human-readable detail for logs; never sent to the device. */
  readonly detail: string;
}

/** What a decoder returns: the typed frame, or the reason the datagram is not one. */
export type Decoded<TFrame> = { readonly ok: true; readonly frame: TFrame } | Rejection;

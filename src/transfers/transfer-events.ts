import { EventEmitter } from 'node:events';
import type { ReplyStatus } from '#protocol';
import type { StoredImage } from '../storage/image-record.js';
import type { Transfer } from './transfer.js';

/**
 * Why a transfer in progress was dropped before it completed:
 * - device-restarted: its device asked to upload another image;
 * - firmware-exact-multiple: the same, after everything but the last packet came, all full-size
 *   (the firmware bug: the last packet of an image an exact multiple of P-8 is never sent);
 * - checksum-mismatch: the image assembled is not the one the device checksummed (generation C);
 * - no-memory: restored from the spool at start-up, it does not fit MAX_REASSEMBLY_BYTES.
 */
export type AbortReason = 'device-restarted' | 'firmware-exact-multiple' | 'checksum-mismatch' | 'no-memory';

/** Why a device cannot complete its image whatever it does (generation A never asks again). */
export type StrandReason =
  /** It sends packets of a transfer the gateway has no record of (lost with damaged spool files). */
  | 'unknown-transfer'
  /** It was told packets were received that the gateway does not have. */
  | 'lost-packets';

/**
 * What happens to transfers, for logs and metrics: rare things only (never one per packet),
 * emitted off the reply path, never awaited. Per-packet counts are in `TransferStatistics`.
 */
export interface TransferEventMap {
  accepted: [transfer: Transfer];
  refused: [status: ReplyStatus, address: string];
  nacked: [status: ReplyStatus];
  /** `writeSeconds`: how long the durable write took. */
  completed: [transfer: Transfer, stored: StoredImage, writeSeconds: number];
  /** Idle past its timeout: it keeps its packets and stops counting as in progress. */
  dormant: [transfer: Transfer];
  /** A dormant transfer given up. `firmwareExactMultiple`: everything but the last packet came, all full-size. */
  expired: [transfer: Transfer, firmwareExactMultiple: boolean];
  aborted: [transfer: Transfer, reason: AbortReason];
  storageFailed: [transfer: Transfer, error: Error];
  checksumMismatch: [transfer: Transfer];
  /** A device that cannot complete its image whatever it does (reported once a device). */
  stranded: [deviceId: number, address: string, port: number, reason: StrandReason];
  /** A transfer left in flight by a previous process was resumed from the spool. */
  restored: [transfer: Transfer];
  /** A spool file could not be read (moved aside), or only up to a damaged record (copied aside). */
  quarantined: [file: string, reason: string];
  /** At start-up, the transfers resumed could not be written to the spool again (it keeps the old copy). */
  spoolUnwritable: [error: Error];
}

export class TransferEvents extends EventEmitter<TransferEventMap> {}

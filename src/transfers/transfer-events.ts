import { EventEmitter } from 'node:events';
import type { ReplyStatus } from '#protocol';
import type { StoredImage } from '../storage/image-record.js';
import type { Transfer } from './transfer.js';

/** Kinds of repeated traffic, as counted by `cable_inspector_retransmissions_total{kind}`. */
export type RetransmissionKind =
  | 'duplicate-request'
  | 'duplicate-packet'
  | 'conflicting-packet'
  | 'late-duplicate'
  | 'end-of-transfer-round';

/** Why a transfer in progress was dropped before it completed. */
export type AbortReason = 'device-restarted' | 'shutdown';

/** What happens to transfers, for logs and metrics: emitted off the reply path, never awaited. */
export interface TransferEventMap {
  accepted: [transfer: Transfer];
  refused: [status: ReplyStatus, address: string];
  nacked: [status: ReplyStatus];
  /** A refusal or NACK was not sent: the source's budget is spent, or its firmware wants none. */
  suppressed: [status: ReplyStatus];
  /** `writeSeconds`: how long the durable write took. */
  completed: [transfer: Transfer, stored: StoredImage, writeSeconds: number];
  /** `firmwareExactMultiple`: everything but the last packet came, all full-size (a known firmware bug). */
  expired: [transfer: Transfer, firmwareExactMultiple: boolean];
  aborted: [transfer: Transfer, reason: AbortReason];
  storageFailed: [transfer: Transfer, error: Error];
  retransmission: [kind: RetransmissionKind];
  /** A transfer left in flight by a previous process was resumed from the spool. */
  restored: [transfer: Transfer];
  /** A spool file could not be read (moved aside), or only up to a damaged record (copied aside). */
  quarantined: [file: string, reason: string];
  /** At start-up, the transfers resumed could not be written to the spool again (it keeps the old copy). */
  spoolUnwritable: [error: Error];
}

export class TransferEvents extends EventEmitter<TransferEventMap> {}

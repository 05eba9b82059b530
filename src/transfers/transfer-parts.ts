import type { Clock } from '../common/clock.js';
import type { ImageStore } from '../storage/image-store.js';
import type { Device } from './device.js';
import type { FlowModes } from './flow-modes.js';
import type { Transfer } from './transfer.js';
import type { AbortReason, TransferEvents } from './transfer-events.js';
import type { TransferJournal } from './transfer-journal.js';
import type { TransferLimits } from './transfer-limits.js';
import type { TransferReplies } from './transfer-replies.js';
import type { TransferStatistics } from './transfer-statistics.js';
import type { TransferStorer } from './transfer-storing.js';
import type { TransferStore } from './transfer-store.js';

/** The collaborators the op handlers share (one of each per gateway). */
export interface TransferParts {
  readonly limits: TransferLimits;
  readonly clock: Clock;
  readonly store: TransferStore;
  readonly journal: TransferJournal;
  readonly replies: TransferReplies;
  readonly flow: FlowModes;
  readonly storer: TransferStorer;
  readonly images: ImageStore;
  readonly events: TransferEvents;
  readonly statistics: TransferStatistics;
}

/** Whether the transfer holds everything but its last packet, all full-size: the firmware's exact-multiple bug. */
export function looksLikeExactMultipleBug(transfer: Transfer): boolean {
  const missing = transfer.missing(2);
  const last = transfer.parameters.packetCount - 1;
  return last > 0 && missing.length === 1 && missing[0] === last && transfer.parameters.imageSize === null;
}

/**
 * Drops a transfer in progress before it completed: its records, its probe, its memory. What is
 * still in flight from it holds back the accept of the device's next image, as a stored image's
 * last answer does.
 */
export function abort(parts: TransferParts, device: Device, transfer: Transfer, reason: AbortReason): void {
  device.confirmed(Math.max(device.lastConfirmationAt, transfer.lastActivityAt));
  parts.journal.discard(transfer);
  parts.flow.ended(transfer);
  parts.store.end(device, transfer);
  parts.events.emit('aborted', transfer, reason);
}

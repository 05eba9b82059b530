import type { Transfer } from '../transfers/transfer.js';
import type { SpoolHeader } from './spool-format.js';

/** The spool's folder inside STORAGE_DIR (a dot-folder: image scans skip it). */
export const SPOOL_FOLDER = '.spool';

/** Injection token of the `TransferSpool` (absent when SPOOL_ENABLED is false). */
export const TRANSFER_SPOOL = Symbol('TRANSFER_SPOOL');

export function spoolHeaderOf(transfer: Transfer): SpoolHeader {
  return {
    transferId: transfer.transferId,
    key: transfer.key,
    clientType: transfer.clientType,
    deviceId: transfer.deviceId,
    remote: { ...transfer.remote },
    packetCount: transfer.parameters.packetCount,
    maxPacketSize: transfer.parameters.maxPacketSize,
    imageSize: transfer.parameters.imageSize ?? null,
    acceptedAt: transfer.acceptedAt,
    flowMode: transfer.flowMode,
  };
}

import { DATA_HEADER_BYTES, UPLOAD_REQUEST_BASE_BYTES } from '#protocol';
import { lengthIsValid } from '../common/transfer-model.js';
import type { SpoolContents } from '../spool/segment-format.js';
import { Transfer } from './transfer.js';
import { abort, type TransferParts } from './transfer-parts.js';

/**
 * Gives an address back the reply budget the datagrams it sent before a restart earned (the
 * transport's `creditPeer`): a camera resuming after a restart is not cut to what it sent since.
 */
export type PeerCredit = (address: string, bytes: number) => void;

export const PEER_CREDIT = Symbol('PEER_CREDIT');

/**
 * Start-up: puts back what a previous process left in the spool. Every stored image's record
 * (its device's flow mode with it), then every transfer in flight, oldest first, as it was: the
 * camera's next resent packet is simply acknowledged (generation A), its next end of transfer
 * gets the missing list (generation B), and a transfer whose packets were all in is stored at
 * once (stop-and-wait) or at its end of transfer (burst). Transfers beyond the limit in progress
 * are restored dormant; one whose packets do not fit MAX_REASSEMBLY_BYTES (dormant ones restored
 * earlier give their memory up first) is given up, logged.
 */
export async function restoreFromSpool(parts: TransferParts, credit: PeerCredit): Promise<void> {
  const { journal, clock, events, store } = parts;
  const now = clock.now();
  const recovery = await journal.recover(now);
  if (!recovery) return;
  for (const { file, reason } of recovery.quarantined) events.emit('quarantined', file, reason);
  for (const record of recovery.completed) {
    const device = store.devices.getOrAdd(record.remote.address, record.remote.port, record.deviceId, now);
    device.remember(record);
  }
  const inFlight = [...recovery.inFlight].sort((a, b) => a.header.acceptedAt - b.header.acceptedAt);
  for (const entry of inFlight) restoreTransfer(parts, entry, credit);
  // The previous process's log is reused only once what was restored is written anew.
  if (!journal.settle()) events.emit('spoolUnwritable', new Error('the spool could not be written'));
}

function restoreTransfer(parts: TransferParts, entry: SpoolContents, credit: PeerCredit): void {
  const { store, journal, clock, events, storer } = parts;
  const { header } = entry;
  const now = clock.now();
  const device = store.devices.getOrAdd(header.remote.address, header.remote.port, header.deviceId, now);
  if (device.active) {
    journal.discard(device.active);
    store.end(device, device.active);
  }
  const transfer = new Transfer(
    header.transferId,
    header.clientType,
    header.deviceId,
    header.remote,
    { packetCount: header.packetCount, maxPacketSize: header.maxPacketSize, imageSize: header.imageSize },
    header.acceptedAt,
    entry.flowMode,
  );
  transfer.acceptSent(header.acceptedAt);
  if (store.admit(device, transfer) !== undefined) store.restoreDormant(device, transfer);
  // Begun again even if given up below: its end, written after, keeps the next start from restoring it.
  journal.begin(transfer);
  // What the device sent for it: its request (never sent again: the credit of a whole lost burst) and each packet.
  let bytes = UPLOAD_REQUEST_BASE_BYTES;
  for (const [index, payload] of entry.packets) {
    if (index >= header.packetCount || !lengthIsValid(transfer.parameters, index, payload.length)) continue;
    // Whole or not at all: a stop-and-wait device was told each of these packets was received.
    if (store.receive(transfer, index, payload) === undefined) {
      abort(parts, device, transfer, 'no-memory');
      return;
    }
    journal.append(transfer, index, payload);
    bytes += DATA_HEADER_BYTES + payload.length;
  }
  transfer.lastActivityAt = now;
  if (entry.flowMode !== 'probing') device.flowHint = entry.flowMode;
  credit(header.remote.address, bytes);
  if (transfer.readyToStore) void storer.write(device, transfer);
  events.emit('restored', transfer);
}

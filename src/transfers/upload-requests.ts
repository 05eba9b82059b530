import { randomBytes } from 'node:crypto';
import { CameraOp, ClientType, ReplyStatus, type UploadRequest } from '#protocol';
import { parametersOf, sameParameters, type RemoteEndpoint } from '../common/transfer-model.js';
import { Answer, type Device } from './device.js';
import { Transfer } from './transfer.js';
import { abort, looksLikeExactMultipleBug, type TransferParts } from './transfer-parts.js';
import type { Reply } from './transfer-replies.js';
import { checkUploadParameters } from './upload-rules.js';

/** Bytes of randomness in a transfer id (hex-encoded: twice as many characters). */
const TRANSFER_ID_BYTES = 6;

/**
 * Op 1. A request accepted starts a transfer; its accept leaves once the transfer's header is in
 * the spool, and not before ACCEPT_HOLD_MS after the last positive answer about the device's
 * previous image: what is still in flight from that image (a late copy of an answer, of a
 * packet) arrives while the device waits for the accept, and is skipped by it, or dropped here.
 *
 * - The same request again (same N, P, S) while the transfer has no data is a retry (the accept
 *   was lost): the same answer, once per retry (a copy the network made gets none).
 * - The same request once data has arrived: a late copy, or the device restarted with an image of
 *   the same size; the packets that follow tell (see `Transfer.showsRestart`).
 * - Another request from a device with a transfer in progress: the device restarted; the old
 *   transfer is dropped.
 * - At the limit of transfers in progress, the address holding the most gives way (see
 *   `TransferStore`); a refusal looks like silence to the firmware, which asks again.
 */
export class UploadRequests {
  private readonly accepts = new WeakMap<Transfer, Promise<Reply>>();
  private draining = false;

  constructor(private readonly parts: TransferParts) {}

  /** From now on new uploads are refused (busy). */
  beginDrain(): void {
    this.draining = true;
  }

  get acceptingUploads(): boolean {
    return !this.draining && this.parts.store.capacityRefusal('') === undefined;
  }

  handle(request: UploadRequest, remote: RemoteEndpoint): Reply | Promise<Reply> {
    const { store, clock, limits, replies, statistics } = this.parts;
    const now = clock.now();
    const parameters = parametersOf(request);
    const known = store.devices.get(remote.address, remote.port, request.deviceId);
    const asked = known?.ask(CameraOp.UploadRequest, request.packetCount, now, limits.duplicateWindowMs);
    const existing = known?.active;
    // Burst firmware asks again only for a new image once its upload is accepted; stop-and-wait
    // firmware never does either, but a late copy of its request cannot be told from a restart
    // but by the packets that follow.
    const retry =
      existing !== undefined &&
      sameParameters(existing.parameters, parameters) &&
      (existing.state === 'accepted' || (existing.state === 'receiving' && existing.flowMode !== 'burst'));
    if (known && existing && retry) {
      if (asked !== undefined && asked !== Answer.None) {
        statistics.retransmissions['network-copy']++;
        return undefined;
      }
      existing.counters.duplicateRequests++;
      statistics.retransmissions['duplicate-request']++;
      if (!store.wake(known, existing)) return replies.refuse(request, ReplyStatus.Busy, remote.address);
      existing.suspectRestart();
      return this.acceptOf(known, existing, request);
    }
    if (this.draining) return replies.refuse(request, ReplyStatus.Busy, remote.address);
    const status = checkUploadParameters(parameters, limits);
    if (status !== ReplyStatus.Ok) return replies.refuse(request, status, remote.address);
    if (this.parts.images.failure) {
      void this.parts.images.recheck();
      return replies.refuse(request, ReplyStatus.StorageFailure, remote.address);
    }
    const device = known ?? store.devices.getOrAdd(remote.address, remote.port, request.deviceId, now);
    if (!known) device.ask(CameraOp.UploadRequest, request.packetCount, now, limits.duplicateWindowMs);
    if (existing && existing.state !== 'storing') {
      abort(
        this.parts,
        device,
        existing,
        looksLikeExactMultipleBug(existing) ? 'firmware-exact-multiple' : 'device-restarted',
      );
    }
    const transfer = this.start(device, remote, request);
    if (!transfer) return replies.refuse(request, ReplyStatus.Busy, remote.address);
    return this.acceptOf(device, transfer, request);
  }

  /** A new transfer for the device (admitted, its header journaled); undefined when there is no room. */
  start(device: Device, remote: RemoteEndpoint, request: UploadRequest): Transfer | undefined {
    const { store, clock, journal, events } = this.parts;
    const transfer = new Transfer(
      randomBytes(TRANSFER_ID_BYTES).toString('hex'),
      ClientType.CableCamera,
      request.deviceId,
      remote,
      parametersOf(request),
      clock.now(),
      device.flowHint === 'stop-and-wait' ? 'stop-and-wait' : 'probing',
    );
    if (device.active) store.end(device, device.active);
    if (store.admit(device, transfer) !== undefined) return undefined;
    journal.begin(transfer);
    events.emit('accepted', transfer);
    return transfer;
  }

  /**
   * The accept of `transfer`: once its header is written and the hold after the device's previous
   * image has passed. A transfer's accept is prepared once; a retry of the request gets it again.
   */
  private acceptOf(device: Device, transfer: Transfer, request: UploadRequest): Reply | Promise<Reply> {
    const { clock, limits, journal, replies } = this.parts;
    const pending = this.accepts.get(transfer);
    if (pending && transfer.acceptSentAt === undefined) {
      device.answered(Answer.Pending);
      return pending;
    }
    const written = journal.whenWritten();
    const holdMs = device.lastConfirmationAt + limits.acceptHoldMs - clock.now();
    const send = (ok: boolean): Reply => {
      if (device.active !== transfer) return undefined;
      if (!ok) {
        this.parts.journal.discard(transfer);
        this.parts.store.end(device, transfer);
        this.parts.events.emit('storageFailed', transfer, new Error('the spool could not be written'));
        return replies.refuse(request, ReplyStatus.StorageFailure, transfer.remote.address);
      }
      const now = clock.now();
      transfer.acceptSent(now);
      device.answered(Answer.Given);
      device.confirmed(now);
      return replies.accept(request);
    };
    if (!written && holdMs <= 0) return send(true);
    device.answered(Answer.Pending);
    const reply = (written ?? Promise.resolve(true)).then((ok) =>
      !ok || holdMs <= 0
        ? send(ok)
        : new Promise<Reply>((resolve) => clock.setTimeout(() => resolve(send(true)), holdMs)),
    );
    this.accepts.set(transfer, reply);
    return reply;
  }
}

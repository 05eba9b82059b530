import {
  CameraOp,
  CHECKSUM_BYTES,
  GENERATION_B_RETRY_MS,
  MISSING_REPLY_HEADER_BYTES,
  type EndOfTransfer,
} from '#protocol';
import type { CompletedTransfer, RemoteEndpoint } from '../common/transfer-model.js';
import { Answer, type Device } from './device.js';
import type { Transfer } from './transfer.js';
import { abort, type TransferParts } from './transfer-parts.js';
import type { Reply } from './transfer-replies.js';

/**
 * Op 3, from burst firmware: the answer is the missing list, made once the packets it reports
 * received are in the spool, or k = 0 once the image is stored (acknowledged means stored).
 *
 * - The list is cut to what the device may be sent (the amplification budget) rather than
 *   dropped: a device whose whole burst was lost has sent too little for a full list.
 * - A copy the network made of the device's previous end of transfer (within the duplicate
 *   window, nothing in between) gets no second k = 0, which the device would read as the answer
 *   to its next question, about its next image. After a missing list, the same end of transfer
 *   again is answered: burst firmware asks again at once after resending what was listed, and
 *   if all of that was lost its question is the same; a late copy answered costs it a round at
 *   worst, never a false "stored".
 * - After the image is stored, its record answers a repeated end of transfer with k = 0 (the
 *   device lost the first), until the device's next image is accepted. Without a checksum that
 *   end of transfer is the same bytes as the first of a next image of as many packets, from a
 *   device that read a late copy of an accept as its own and whose request and packets were
 *   lost. Until the device was told k = 0 the record answers at once (the image completed before
 *   its end of transfer came: the device cannot have moved on); after that, it answers only what
 *   can be the firmware's retry (no sooner than its timeout
 *   and pause after the end of transfer it repeats, less half the duplicate window for the
 *   network's jitter), and only once it has heard nothing new from the device for the accept
 *   hold. Anything in doubt silences the record for good: the device spends its rounds and gives
 *   up on an image that is stored, which loses nothing.
 * - Generation C's end of transfer carries the image's CRC-32: the image is stored only if it
 *   matches (otherwise discarded, and the device told k = 255, start again); every answer echoes
 *   it, so the device takes no answer about another image; the record answers k = 0 only to its
 *   own CRC; a CRC no transfer and no record of the device has gets k = 255.
 */
export class EndOfTransferRounds {
  constructor(private readonly parts: TransferParts) {}

  handle(frame: EndOfTransfer, remote: RemoteEndpoint, replyBudget: number): Reply | Promise<Reply> {
    const { store, clock, limits, statistics } = this.parts;
    const device = store.devices.get(remote.address, remote.port, frame.deviceId);
    if (!device) return this.parts.replies.startAgain(frame);
    const now = clock.now();
    const asked = device.ask(CameraOp.EndOfTransfer, frame.packetCount, now, limits.duplicateWindowMs);
    const previousEndAt = device.lastEndOfTransferAt;
    if (asked === undefined) device.lastEndOfTransferAt = now;
    const transfer = device.active;
    // Generation C's answers echo its image's CRC: one answered twice cannot be taken for another
    // image's, and its retries come sooner than the window (100 ms on a fast link).
    const echoesChecksum = frame.checksum !== undefined && asked === Answer.Given;
    if ((asked === Answer.Given || asked === Answer.Pending) && !echoesChecksum) {
      statistics.retransmissions['network-copy']++;
      // Or the same question about a new image whose request and packets were lost: from now on
      // the record cannot tell, and keeps silent.
      if (!transfer) device.recordAnswers = false;
      return undefined;
    }
    const record = store.recordOf(device, now);
    // A CRC is the image's identity: the stored one's is answered by its record, whatever came since.
    if (frame.checksum !== undefined && record?.imageChecksum === frame.checksum)
      return this.fromRecord(device, record, frame);
    if (!transfer || transfer.acceptSentAt === undefined) {
      if (record && !transfer) return this.fromRecord(device, record, frame, now - previousEndAt);
      return transfer ? undefined : this.parts.replies.startAgain(frame);
    }
    if (frame.packetCount !== transfer.parameters.packetCount) return this.parts.replies.startAgain(frame);
    if (transfer.dormantSince !== undefined && !store.wake(device, transfer)) return undefined;
    transfer.endOfTransfer(now, frame.checksum);
    if (transfer.counters.endOfTransferRounds > 1) statistics.retransmissions['end-of-transfer-round']++;
    this.parts.flow.endOfTransfer(transfer);
    if (!transfer.isComplete) return this.missingList(device, transfer, frame, replyBudget);
    return this.completion(device, transfer, frame);
  }

  /** The missing list, once this turn's records are written (it reports those packets received). */
  private missingList(
    device: Device,
    transfer: Transfer,
    frame: EndOfTransfer,
    replyBudget: number,
  ): Reply | Promise<Reply> {
    const echoBytes = frame.checksum === undefined ? 0 : CHECKSUM_BYTES;
    const listed = Math.min(
      this.parts.limits.missingPerReply,
      replyBudget - MISSING_REPLY_HEADER_BYTES - echoBytes,
    );
    // Not even one index fits: silence, and the device asks again (its packets will have paid).
    if (listed < 1) return undefined;
    const report = (): Reply => {
      if (device.active !== transfer) return undefined;
      const missing = transfer.missing(listed);
      // Packets read after the end of transfer in its turn completed the image: an empty list
      // would say k = 0, stored, and it is not. Silence: the device asks again, and that stores it.
      if (missing.length === 0) {
        device.answered(Answer.None);
        return undefined;
      }
      device.answered(Answer.Listed);
      return this.parts.replies.missing(frame, missing);
    };
    device.answered(Answer.Pending);
    const written = this.parts.journal.whenWritten();
    return written ? written.then(report) : report();
  }

  /** k = 0 once the image is stored; a failed write lists the last packet (the device resends it, the write is tried again). */
  private completion(device: Device, transfer: Transfer, frame: EndOfTransfer): Reply | Promise<Reply> {
    const { storer, replies } = this.parts;
    const write =
      storer.writeOf(transfer) ?? (transfer.readyToStore ? storer.write(device, transfer) : undefined);
    if (!write) return undefined;
    device.answered(Answer.Pending);
    return write.then((outcome) => {
      if (outcome === 'checksum-mismatch') {
        abort(this.parts, device, transfer, 'checksum-mismatch');
        device.answered(Answer.Refused);
        return replies.startAgain(frame);
      }
      if (outcome === 'failed') {
        device.answered(Answer.Listed);
        return replies.missing(frame, [transfer.parameters.packetCount - 1]);
      }
      return this.storedAlready(device, frame, false);
    });
  }

  private fromRecord(
    device: Device,
    record: CompletedTransfer,
    frame: EndOfTransfer,
    sincePreviousMs = Number.POSITIVE_INFINITY,
  ): Reply | Promise<Reply> {
    const { replies, clock, limits } = this.parts;
    if (frame.checksum !== undefined) {
      if (frame.checksum !== record.imageChecksum) return replies.startAgain(frame);
      return this.storedAlready(device, frame);
    }
    if (
      !device.recordAnswers ||
      record.flowMode === 'stop-and-wait' ||
      frame.packetCount !== record.packetCount
    )
      return undefined;
    // Not yet told stored: the device cannot have moved on to a next image.
    if (device.lastToldStoredAt < record.storedAt) return this.storedAlready(device, frame);
    if (sincePreviousMs < GENERATION_B_RETRY_MS - limits.duplicateWindowMs / 2) {
      device.recordAnswers = false;
      return undefined;
    }
    const questions = device.questions;
    device.answered(Answer.Pending);
    return new Promise((resolve) => {
      clock.setTimeout(() => {
        if (device.questions !== questions || device.active !== undefined || !device.recordAnswers) {
          device.recordAnswers = false;
          device.answered(Answer.None);
          resolve(undefined);
        } else resolve(this.storedAlready(device, frame));
      }, limits.acceptHoldMs);
    });
  }

  /** k = 0: the image is stored (from its record, when the device lost the first). */
  private storedAlready(device: Device, frame: EndOfTransfer, fromRecord = true): Reply {
    const now = this.parts.clock.now();
    if (fromRecord) this.parts.statistics.retransmissions['late-duplicate']++;
    device.answered(Answer.Given);
    device.confirmed(now);
    device.lastToldStoredAt = now;
    return this.parts.replies.missing(frame, []);
  }
}

import { CameraOp, ReplyStatus, type DataPacket } from '#protocol';
import {
  fitsTransfer,
  lengthIsValid,
  type CompletedTransfer,
  type RemoteEndpoint,
} from '../common/transfer-model.js';
import { isPacketOf } from './completed-transfer.js';
import { Answer, type Device } from './device.js';
import type { Transfer } from './transfer.js';
import { abort, type TransferParts } from './transfer-parts.js';
import type { Reply } from './transfer-replies.js';
import type { UploadRequests } from './upload-requests.js';

/**
 * Op 2. A packet is kept (and spooled) once; the reply depends on the device's pacing:
 *
 * - burst firmware gets no per-packet reply at all (it learns what is missing from op 3);
 * - stop-and-wait firmware gets an ACK once the packet is in the spool, and for the last packet
 *   only once every packet is in and the image is stored (acknowledged means stored);
 * - a stop-and-wait device sends packet i+1 only after the ACK of i: a packet ahead of the next
 *   expected index, or one behind it with other bytes, is not of this image (a late copy) and is
 *   dropped without a word; a copy of the packet just ACKed, arriving within the duplicate window
 *   with nothing in between, is the network's and is not ACKed twice;
 * - a packet that arrives before the transfer's accept left cannot be the device's: dropped;
 * - a packet whose bytes are those of the device's previous image at that index may be a late
 *   copy of it: it gives way to a copy that is not (see `Transfer.receive`);
 * - a packet of no transfer in progress is answered from the record of the device's last image
 *   only if its bytes are that image's (a lost final ACK brings the last packet again); otherwise
 *   it is refused (no such transfer): never acknowledged for an image that is not stored.
 */
export class DataPackets {
  /** Stop-and-wait transfers that received a packet ahead of the next expected: which, and when first. */
  private readonly ahead = new WeakMap<Transfer, { readonly index: number; readonly at: number }>();

  constructor(
    private readonly parts: TransferParts,
    private readonly requests: UploadRequests,
  ) {}

  handle(packet: DataPacket, remote: RemoteEndpoint): Reply | Promise<Reply> {
    const { store, clock, limits, statistics } = this.parts;
    const device = store.devices.get(remote.address, remote.port, packet.deviceId);
    if (!device) return this.noSuchTransfer(packet, remote, undefined);
    const now = clock.now();
    const asked = device.ask(CameraOp.DataPacket, packet.index, now, limits.duplicateWindowMs);
    const transfer = device.active;
    const record = store.recordOf(device, now);
    // A CRC-32 of the payload (isPacketOf) only where it decides something, never on the common path.
    if (!transfer || transfer.acceptSentAt === undefined) {
      if (record && isPacketOf(record, packet.index, packet.payload))
        return this.lateDuplicate(device, record, packet, asked);
      if (transfer) {
        statistics.retransmissions['stale-packet']++;
        return undefined;
      }
      return this.noSuchTransfer(packet, remote, device);
    }
    if (transfer.dormantSince !== undefined && !store.wake(device, transfer)) {
      return this.nack(transfer, packet, ReplyStatus.Busy);
    }
    const { index, payload } = packet;
    if (index >= transfer.parameters.packetCount) return this.nack(transfer, packet, ReplyStatus.BadIndex);
    if (
      packet.declaredLength !== payload.length ||
      !lengthIsValid(transfer.parameters, index, payload.length)
    ) {
      return this.nack(transfer, packet, ReplyStatus.BadLength);
    }
    if (
      transfer.flowMode === 'stop-and-wait' &&
      !transfer.restartSuspected &&
      this.outOfSequence(transfer, index, payload)
    ) {
      if (this.replacesLateCopy(transfer, index, payload, record)) return undefined;
      statistics.retransmissions['stale-packet']++;
      return undefined;
    }
    let outcome = store.receive(transfer, index, payload);
    if (outcome === undefined) return this.nack(transfer, packet, ReplyStatus.Busy);
    // The copy held was a late one of the previous image's (at that index), this one is not: it wins.
    if (
      outcome === 'conflict' &&
      record !== undefined &&
      isPacketOf(record, index, transfer.payloadAt(index)!) &&
      !isPacketOf(record, index, payload) &&
      store.replace(transfer, index, payload)
    ) {
      outcome = 'replaced';
    }
    if (transfer.showsRestart(index, outcome)) return this.restart(device, transfer, packet, remote);
    if (outcome === 'new' || outcome === 'replaced') this.parts.journal.append(transfer, index, payload);
    if (outcome === 'replaced') statistics.retransmissions['replaced-packet']++;
    if (outcome === 'duplicate') statistics.retransmissions['duplicate-packet']++;
    if (outcome === 'conflict') statistics.retransmissions['conflicting-packet']++;
    if (outcome === 'conflict') return undefined;
    if (outcome === 'duplicate' && (asked === Answer.Given || asked === Answer.Pending)) {
      statistics.retransmissions['network-copy']++;
      return undefined;
    }
    const mode = this.parts.flow.forData(transfer, index, payload, outcome === 'duplicate', record);
    if (mode === undefined) return undefined;
    if (mode instanceof Promise) {
      device.answered(Answer.Pending);
      return mode.then((decided) =>
        device.active === transfer && decided === 'stop-and-wait' && transfer.holds(index)
          ? this.answer(device, transfer, packet)
          : undefined,
      );
    }
    if (mode === 'burst') {
      if (transfer.readyToStore) void this.parts.storer.write(device, transfer);
      return undefined;
    }
    const reply = this.answer(device, transfer, packet);
    if (outcome === 'new' && reply instanceof Buffer) this.parts.journal.guard(transfer, index, reply);
    return reply;
  }

  /**
   * Stop-and-wait: whether `index` cannot be the device's current packet, the one after the last
   * ACKed or that one again (with the bytes held).
   */
  private outOfSequence(transfer: Transfer, index: number, payload: Buffer): boolean {
    const next = transfer.nextExpected;
    if (index === next) return false;
    if (index > next) {
      this.reportStrandedIfStuck(transfer, index);
      return true;
    }
    if (index < next - 1) return true;
    return !transfer.payloadAt(index)?.equals(payload);
  }

  /**
   * Stop-and-wait: the packet just ACKed was a late copy of the previous image's (its bytes are
   * that image's at this index), and the device's own comes now, behind it. The device read that
   * ACK as its own and went on: the copy gives way without a second answer.
   */
  private replacesLateCopy(
    transfer: Transfer,
    index: number,
    payload: Buffer,
    record: CompletedTransfer | undefined,
  ): boolean {
    const held = transfer.payloadAt(index);
    if (!record || !held || index !== transfer.nextExpected - 1) return false;
    if (!isPacketOf(record, index, held) || isPacketOf(record, index, payload)) return false;
    const { store } = this.parts;
    if (store.receive(transfer, index, payload) !== 'conflict' || !store.replace(transfer, index, payload))
      return false;
    this.parts.journal.append(transfer, index, payload);
    this.parts.statistics.retransmissions['replaced-packet']++;
    return true;
  }

  /** The ACK of a stop-and-wait packet; for the one completing the image, once it is stored. */
  private answer(device: Device, transfer: Transfer, packet: DataPacket): Reply | Promise<Reply> {
    const { replies, storer } = this.parts;
    if (!transfer.isComplete) {
      // The last packet's ACK tells generation A its image is stored: never while one is missing.
      if (packet.index === transfer.parameters.packetCount - 1) {
        this.reportStranded(device, transfer);
        return undefined;
      }
      device.answered(Answer.Given);
      return replies.ack(packet);
    }
    const write =
      storer.writeOf(transfer) ?? (transfer.readyToStore ? storer.write(device, transfer) : undefined);
    if (!write) return undefined;
    device.answered(Answer.Pending);
    return write.then((outcome) => {
      if (outcome !== 'stored') {
        device.answered(Answer.Refused);
        return this.nack(transfer, packet, ReplyStatus.StorageFailure);
      }
      const now = this.parts.clock.now();
      device.answered(Answer.Given);
      device.confirmed(now);
      return replies.ack(packet);
    });
  }

  /** A packet of the device's last stored image: only a stop-and-wait device that lost the final ACK still waits for one. */
  private lateDuplicate(
    device: Device,
    record: CompletedTransfer,
    packet: DataPacket,
    asked: Answer | undefined,
  ): Reply {
    const { statistics, replies, clock } = this.parts;
    statistics.retransmissions['late-duplicate']++;
    if (record.flowMode !== 'stop-and-wait' || packet.index !== record.packetCount - 1) return undefined;
    if (packet.declaredLength !== packet.payload.length) return undefined;
    // Once the next image's accept has left, the device has moved on.
    if (device.active?.acceptSentAt !== undefined) return undefined;
    if (asked === Answer.Given || asked === Answer.Pending) {
      statistics.retransmissions['network-copy']++;
      return undefined;
    }
    device.answered(Answer.Given);
    device.confirmed(clock.now());
    return replies.ack(packet);
  }

  /** After a repeated request, a packet unlike the one held: the device restarted with a new image of the same size. */
  private restart(
    device: Device,
    old: Transfer,
    packet: DataPacket,
    remote: RemoteEndpoint,
  ): Reply | Promise<Reply> {
    const echoed = old.echoedPackets();
    abort(this.parts, device, old, 'device-restarted');
    const replacement = this.requests.start(device, remote, {
      kind: 'upload-request',
      deviceId: old.deviceId,
      packetCount: old.parameters.packetCount,
      maxPacketSize: old.parameters.maxPacketSize,
      imageSize:
        old.parameters.imageSize === null ? undefined : { value: old.parameters.imageSize, width: 4 },
    });
    if (!replacement) return this.nack(old, packet, ReplyStatus.Busy);
    replacement.acceptSent(this.parts.clock.now());
    if (old.flowMode !== 'probing') replacement.learnFlowMode(old.flowMode);
    for (const [index, payload] of echoed) {
      this.parts.store.receive(replacement, index, payload);
      this.parts.journal.append(replacement, index, payload);
    }
    return this.handle(packet, remote);
  }

  private noSuchTransfer(packet: DataPacket, remote: RemoteEndpoint, device: Device | undefined): Reply {
    // A packet of another image than the last stored: the device moved on.
    if (device) device.recordAnswers = false;
    if (
      device &&
      !device.reportedStranded &&
      device.previous &&
      fitsTransfer(device.previous, packet.index, packet.payload.length)
    ) {
      device.reportedStranded = true;
      this.parts.events.emit('stranded', packet.deviceId, remote.address, remote.port, 'unknown-transfer');
    }
    return this.parts.replies.nack(packet, ReplyStatus.NoSuchTransfer, remote.address);
  }

  private nack(transfer: Transfer, packet: DataPacket, status: ReplyStatus): Reply {
    // Burst firmware reads no per-packet replies: a bad packet shows up as missing at end of transfer.
    if (transfer.flowMode === 'burst') {
      this.parts.statistics.suppress(ReplyStatus[status]);
      return undefined;
    }
    return this.parts.replies.nack(packet, status, transfer.remote.address);
  }

  /**
   * A stop-and-wait device sending the same packet ahead again and again was told the packets
   * before it were received; the gateway does not have them (lost with damaged spool files): it
   * can never complete. Reported once.
   */
  private reportStrandedIfStuck(transfer: Transfer, index: number): void {
    const now = this.parts.clock.now();
    const seen = this.ahead.get(transfer);
    if (!seen || seen.index !== index) {
      this.ahead.set(transfer, { index, at: now });
      return;
    }
    const device = this.parts.store.deviceOf(transfer);
    if (device && now - seen.at >= this.parts.limits.duplicateWindowMs) this.reportStranded(device, transfer);
  }

  private reportStranded(device: Device, transfer: Transfer): void {
    if (device.reportedStranded) return;
    device.reportedStranded = true;
    this.parts.events.emit(
      'stranded',
      transfer.deviceId,
      transfer.remote.address,
      transfer.remote.port,
      'lost-packets',
    );
  }
}

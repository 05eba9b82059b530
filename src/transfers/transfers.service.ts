import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  ClientType,
  dataReply,
  encodeServerFrame,
  MISSING_REPLY_HEADER_BYTES,
  missingReport,
  uploadReply,
  ReplyStatus,
  type DataPacket,
  type EndOfTransfer,
  type UploadRequest,
} from '#protocol';
import { CLOCK, type Clock } from '../common/clock.js';
import type { ImageArrival } from '../storage/image-record.js';
import { ImageStore } from '../storage/image-store.js';
import type { SpoolContents, SpooledCompletion } from '../spool/spool-format.js';
import { spoolHeaderOf, TRANSFER_SPOOL } from '../spool/spool-header.js';
import type { TransferSpool } from '../spool/transfer-spool.js';
import { BoundedMap } from './bounded-map.js';
import { FlowProbe, RECEIVE_BACKLOG, type ReceiveBacklog } from './flow-probe.js';
import { RefusalBudget } from './refusal-budget.js';
import {
  lengthIsValid,
  parametersOf,
  sameParameters,
  Transfer,
  type FlowMode,
  type TransferParameters,
} from './transfer.js';
import { TransferEvents } from './transfer-events.js';
import { transferKey, type RemoteEndpoint } from './transfer-key.js';
import {
  FLOW_MODE_MEMORY_SIZE,
  REFUSAL_BUDGET_TRACKED_ADDRESSES,
  TRANSFER_LIMITS,
  type TransferLimits,
} from './transfer-limits.js';
import { TransferStore } from './transfer-store.js';
import { checkUploadParameters } from './upload-rules.js';

/** Bytes of randomness in a transfer id (hex-encoded: twice as many characters). */
const TRANSFER_ID_BYTES = 6;

const noBacklog: ReceiveBacklog = () => Promise.resolve(0);

/** How often `drain` looks whether transfers are done. */
const DRAIN_POLL_MS = 50;

/** A reply to send back, now or once a write or a probe has settled; undefined: send nothing. */
export type Reply = Buffer | undefined;

/**
 * The transfer protocol of client type 1 (ops 1-3): accepts uploads, reassembles packets, has
 * complete images stored, and answers each device the way its firmware generation expects.
 * Synchronous on the common path (an ACK is built and returned at once); only replies that must
 * wait for the disk or for the flow probe are promises.
 */
@Injectable()
export class TransfersService implements OnModuleInit, OnModuleDestroy {
  private readonly store: TransferStore;
  private readonly refusals: RefusalBudget;
  private readonly knownFlowModes = new BoundedMap<string, FlowMode>(FLOW_MODE_MEMORY_SIZE);
  private readonly probes = new WeakMap<Transfer, FlowProbe>();
  private draining = false;

  constructor(
    @Inject(TRANSFER_LIMITS) private readonly limits: TransferLimits,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly images: ImageStore,
    readonly events: TransferEvents,
    @Optional() @Inject(TRANSFER_SPOOL) private readonly spool: TransferSpool | null = null,
    @Optional() @Inject(RECEIVE_BACKLOG) private readonly receiveBacklog: ReceiveBacklog = noBacklog,
  ) {
    this.store = new TransferStore(
      limits,
      clock,
      (transfer) => this.onExpired(transfer),
      (record) => this.spool?.discard(record.transferId),
    );
    this.refusals = new RefusalBudget(limits.refusalsPerSecond, clock, REFUSAL_BUDGET_TRACKED_ADDRESSES);
  }

  /** Starts expiry and, with a spool, resumes the transfers a previous process left in flight. */
  async onModuleInit(): Promise<void> {
    this.store.start();
    if (!this.spool) return;
    const { inFlight, completed, quarantined } = await this.spool.recover(this.clock.now());
    for (const { file, reason } of quarantined) this.events.emit('quarantined', file, reason);
    for (const completion of completed) this.restoreCompleted(completion);
    inFlight.sort((a, b) => a.header.acceptedAt - b.header.acceptedAt);
    for (const entry of inFlight) this.restore(entry);
    // The previous process's log is reused only once what was restored is written anew.
    if (!this.spool.settle())
      this.events.emit('spoolUnwritable', new Error('the spool could not be written'));
  }

  async onModuleDestroy(): Promise<void> {
    this.store.stop();
    this.spool?.closeAll();
  }

  get activeTransfers(): number {
    return this.store.activeCount;
  }

  get bufferedBytes(): number {
    return this.store.bufferedBytes;
  }

  /** Whether new uploads are accepted now (not draining, room for one more). */
  get acceptingUploads(): boolean {
    return !this.draining && this.store.capacityRefusal('') === undefined;
  }

  /** From now on new uploads are refused (busy); transfers in progress go on. */
  beginDrain(): void {
    this.draining = true;
  }

  /**
   * Resolves once no transfer is in progress, or when `graceMs` has passed. Writes already under
   * way are always awaited: an image being stored is never cut off. Returns how many transfers
   * were still unfinished: with a spool they stay on disk and resume at the next start; without
   * one they are dropped as aborted.
   */
  async drain(graceMs: number): Promise<number> {
    const deadline = this.clock.now() + graceMs;
    while (this.store.activeCount > 0 && this.clock.now() < deadline) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, DRAIN_POLL_MS));
    }
    const unfinished = [...this.store.activeTransfers()];
    await Promise.all(unfinished.map((transfer) => transfer.storing));
    if (this.spool) {
      this.spool.closeAll();
      return unfinished.length;
    }
    for (const transfer of unfinished) {
      if (this.store.remove(transfer.key)) this.events.emit('aborted', transfer, 'shutdown');
    }
    return unfinished.length;
  }

  handleUploadRequest(request: UploadRequest, remote: RemoteEndpoint): Reply | Promise<Reply> {
    const parameters = parametersOf(request);
    const key = transferKey(ClientType.CableCamera, request.deviceId, remote);
    const existing = this.store.get(key);
    if (existing && this.isRepeatOf(existing, parameters)) {
      existing.counters.duplicateRequests++;
      if (existing.state === 'receiving') existing.repeatedRequestEchoes ??= new Set();
      this.events.emit('retransmission', 'duplicate-request');
      return this.uploadReply(request, ReplyStatus.Ok);
    }
    if (this.draining) return this.refuse(request, ReplyStatus.Busy, remote);
    const status = checkUploadParameters(parameters, this.limits);
    if (status !== ReplyStatus.Ok) return this.refuse(request, status, remote);
    if (existing) {
      this.store.remove(key);
      this.probes.get(existing)?.decide(existing.flowMode);
      this.spool?.discard(existing.transferId);
      this.events.emit('aborted', existing, 'device-restarted');
    }
    if (this.store.capacityRefusal(remote.address) !== undefined)
      return this.refuse(request, ReplyStatus.Busy, remote);
    if (this.images.failure) {
      void this.images.recheck();
      return this.refuse(request, ReplyStatus.StorageFailure, remote);
    }
    const transfer = new Transfer(
      randomBytes(TRANSFER_ID_BYTES).toString('hex'),
      key,
      ClientType.CableCamera,
      request.deviceId,
      remote,
      parameters,
      this.clock.now(),
      this.knownFlowModes.get(key),
    );
    this.store.add(transfer);
    this.events.emit('accepted', transfer);
    // The transfer exists on disk before the device hears it was accepted.
    const written = this.spoolBegin(transfer);
    if (!written) return this.uploadReply(request, ReplyStatus.Ok);
    return written.then((ok) => {
      if (ok) return this.uploadReply(request, ReplyStatus.Ok);
      if (this.store.get(key) === transfer) this.store.remove(key);
      this.spool?.discard(transfer.transferId);
      this.events.emit('storageFailed', transfer, new Error('the spool could not be written'));
      return this.refuse(request, ReplyStatus.StorageFailure, remote);
    });
  }

  handleDataPacket(packet: DataPacket, remote: RemoteEndpoint): Reply | Promise<Reply> {
    const key = transferKey(ClientType.CableCamera, packet.deviceId, remote);
    const transfer = this.store.get(key);
    if (!transfer) return this.answerLatePacket(packet, key, remote);
    const { parameters } = transfer;
    if (packet.index >= parameters.packetCount) return this.nack(transfer, packet, ReplyStatus.BadIndex);
    const length = packet.payload.length;
    if (packet.declaredLength !== length || !lengthIsValid(parameters, packet.index, length)) {
      return this.nack(transfer, packet, ReplyStatus.BadLength);
    }
    this.learnFlowMode(transfer, packet.index);
    if (!transfer.isComplete && !this.store.hasRoomFor(length))
      return this.nack(transfer, packet, ReplyStatus.Busy);

    const outcome = this.store.acceptPacket(transfer, packet.index, packet.payload);
    if (transfer.repeatedRequestEchoes) {
      if (outcome === 'conflict') return this.restartWith(transfer, packet, remote);
      if (outcome === 'duplicate') transfer.repeatedRequestEchoes.add(packet.index);
      else transfer.repeatedRequestEchoes = undefined;
    }
    if (outcome !== 'new') {
      this.events.emit('retransmission', outcome === 'conflict' ? 'conflicting-packet' : 'duplicate-packet');
    }
    const spooled = outcome === 'new' ? this.spoolPacket(transfer, packet) : undefined;
    if (transfer.isComplete && transfer.state !== 'storing') this.beginStoring(transfer);

    const ack = this.dataReply(packet, ReplyStatus.Ok);
    // Once the image is whole, any ACK waits for the disk: acknowledged means stored.
    const stored = transfer.storing;
    if (transfer.flowMode === 'stop-and-wait' && !stored) {
      // The common case (generation A, mid-image): the ACK waits for this turn's spool write only.
      if (!spooled) return ack;
      return spooled.then((ok) => (ok ? ack : this.nack(transfer, packet, ReplyStatus.StorageFailure)));
    }
    return this.replyOnceKnown(transfer, spooled, stored, (ok) =>
      ok ? ack : this.nack(transfer, packet, ReplyStatus.StorageFailure),
    );
  }

  /**
   * `replyBudget`: bytes the device may still be sent (the transport's amplification budget). A
   * missing list is cut to fit it rather than dropped: a generation-B device whose whole burst was
   * lost has sent only its request and op 3, too little for a full list, and would otherwise wait
   * out a timeout.
   */
  handleEndOfTransfer(
    frame: EndOfTransfer,
    remote: RemoteEndpoint,
    replyBudget = Number.POSITIVE_INFINITY,
  ): Reply | Promise<Reply> {
    const key = transferKey(ClientType.CableCamera, frame.deviceId, remote);
    const transfer = this.store.get(key);
    if (!transfer) {
      if (!this.store.getCompleted(key)) return undefined;
      this.events.emit('retransmission', 'late-duplicate');
      return this.missingReport(frame, []);
    }
    transfer.lastActivityAt = this.clock.now();
    transfer.counters.endOfTransferRounds++;
    if (transfer.counters.endOfTransferRounds > 1)
      this.events.emit('retransmission', 'end-of-transfer-round');
    if (transfer.flowMode === 'stop-and-wait') {
      // Only burst firmware sends an end of transfer: the probe was misled (a loop too busy to
      // see packet 1 in time). Stop the per-packet replies now, and for this device's next images.
      transfer.flowMode = 'probing';
      this.rememberFlowMode(transfer, 'burst');
    }
    this.settleFlowMode(transfer, 'burst');
    if (!transfer.isComplete) {
      const listed = Math.min(this.limits.missingPerReply, replyBudget - MISSING_REPLY_HEADER_BYTES);
      // Not even one index fits: silence, and the device asks again (its packets will have paid).
      if (listed < 1) return undefined;
      // Packets reported received are in the spool: the list is made once this turn's records are written.
      const written = this.spool?.whenWritten();
      const report = () => this.missingReport(frame, transfer.missing(listed));
      return written ? written.then(report) : report();
    }
    if (transfer.state === 'unstored') this.beginStoring(transfer);
    const lastIndex = transfer.parameters.packetCount - 1;
    // A failed write reports the last packet missing: the device resends it, then asks again.
    return transfer.storing!.then((ok) => this.missingReport(frame, ok ? [] : [lastIndex]));
  }

  /** Puts back the record of a transfer a previous process stored. */
  private restoreCompleted(completion: SpooledCompletion): void {
    const { key, transferId, packetCount, maxPacketSize, imageSize, flowMode, imageId } = completion;
    this.store.restoreCompleted({
      key,
      transferId,
      parameters: { packetCount, maxPacketSize, imageSize: imageSize ?? undefined },
      flowMode,
      imageId,
      forgetAt: completion.storedAt + this.limits.completedRecordTtlMs,
    });
  }

  /** Puts back a transfer found in the spool at start-up. */
  private restore(entry: SpoolContents): void {
    const { header } = entry;
    const parameters = {
      packetCount: header.packetCount,
      maxPacketSize: header.maxPacketSize,
      imageSize: header.imageSize ?? undefined,
    };
    const flowMode = entry.flowMode === 'probing' ? undefined : entry.flowMode;
    const older = this.store.get(header.key);
    if (older) {
      this.store.remove(header.key);
      this.spool?.discard(older.transferId);
    }
    const transfer = new Transfer(
      header.transferId,
      header.key,
      header.clientType,
      header.deviceId,
      header.remote,
      parameters,
      header.acceptedAt,
      flowMode,
    );
    this.store.add(transfer);
    this.spoolBegin(transfer);
    for (const [index, payload] of entry.packets) {
      if (!lengthIsValid(parameters, index, payload.length)) continue;
      this.store.acceptPacket(transfer, index, payload);
      this.spoolPacket(transfer, { index, payload });
    }
    transfer.lastActivityAt = this.clock.now();
    if (flowMode) this.knownFlowModes.set(header.key, flowMode);
    if (transfer.isComplete) this.beginStoring(transfer);
    this.events.emit('restored', transfer);
  }

  /**
   * The same request again: before any data, the accept was lost; while receiving, a late
   * duplicate or a restart with an image of the same size (the packets that follow tell which);
   * once the image is whole, a new image.
   */
  private isRepeatOf(existing: Transfer, parameters: TransferParameters): boolean {
    if (!sameParameters(existing.parameters, parameters)) return false;
    return existing.state === 'accepted' || existing.state === 'receiving';
  }

  /**
   * After a repeated request, a packet unlike the one held means the device restarted with a new
   * image of the same size: the transfer starts over, keeping only the packets the device has
   * sent again identically since its new request.
   */
  private restartWith(old: Transfer, packet: DataPacket, remote: RemoteEndpoint): Reply | Promise<Reply> {
    const echoed = [...(old.repeatedRequestEchoes ?? [])].map(
      (index) => [index, old.payloadAt(index)!] as const,
    );
    this.store.remove(old.key);
    this.probes.get(old)?.decide(old.flowMode);
    this.spool?.discard(old.transferId);
    this.events.emit('aborted', old, 'device-restarted');
    const replacement = new Transfer(
      randomBytes(TRANSFER_ID_BYTES).toString('hex'),
      old.key,
      old.clientType,
      old.deviceId,
      old.remote,
      old.parameters,
      this.clock.now(),
      old.flowMode === 'probing' ? undefined : old.flowMode,
    );
    this.store.add(replacement);
    this.events.emit('accepted', replacement);
    this.spoolBegin(replacement);
    for (const [index, payload] of echoed) {
      this.store.acceptPacket(replacement, index, payload);
      this.spoolPacket(replacement, { index, payload });
    }
    return this.handleDataPacket(packet, remote);
  }

  /** Replies from a stored transfer's record: a lost final ACK brings the last packet again. */
  private answerLatePacket(packet: DataPacket, key: string, remote: RemoteEndpoint): Reply {
    const record = this.store.getCompleted(key);
    const length = packet.payload.length;
    if (
      record &&
      packet.index < record.parameters.packetCount &&
      packet.declaredLength === length &&
      lengthIsValid(record.parameters, packet.index, length)
    ) {
      this.events.emit('retransmission', 'late-duplicate');
      return record.flowMode === 'burst' ? undefined : this.dataReply(packet, ReplyStatus.Ok);
    }
    if (!this.refusals.take(remote.address)) {
      this.events.emit('suppressed', ReplyStatus.NoSuchTransfer);
      return undefined;
    }
    this.events.emit('nacked', ReplyStatus.NoSuchTransfer);
    return this.dataReply(packet, ReplyStatus.NoSuchTransfer);
  }

  private learnFlowMode(transfer: Transfer, index: number): void {
    if (transfer.flowMode !== 'probing') return;
    const probe = this.probes.get(transfer);
    if (probe) {
      if (index !== 0) this.settleFlowMode(transfer, 'burst');
    } else if (index === 0) {
      this.probes.set(
        transfer,
        new FlowProbe(this.clock, this.limits.flowProbeMs, this.receiveBacklog, (mode) =>
          this.rememberFlowMode(transfer, mode),
        ),
      );
    } else {
      // A stop-and-wait device never sends packet i > 0 before packet i-1 was ACKed.
      this.settleFlowMode(transfer, 'burst');
    }
  }

  private settleFlowMode(transfer: Transfer, mode: FlowMode): void {
    if (transfer.flowMode !== 'probing') return;
    const probe = this.probes.get(transfer);
    if (probe) probe.decide(mode);
    else this.rememberFlowMode(transfer, mode);
  }

  private rememberFlowMode(transfer: Transfer, mode: FlowMode): void {
    if (transfer.flowMode !== 'probing') return;
    transfer.flowMode = mode;
    this.probes.delete(transfer);
    this.knownFlowModes.set(transfer.key, mode);
    try {
      this.spool?.recordFlowMode(transfer.transferId, mode);
    } catch {
      // The mode is learnt again after a restart.
    }
  }

  /**
   * Waits for the packet's spool write and the flow mode to be known (and the image write, when
   * one is under way), then replies: an image stored whole makes the packet safe either way.
   */
  private async replyOnceKnown(
    transfer: Transfer,
    spooled: Promise<boolean> | undefined,
    stored: Promise<boolean> | undefined,
    reply: (ok: boolean) => Reply,
  ): Promise<Reply> {
    const inSpool = spooled ? await spooled : true;
    const mode =
      transfer.flowMode === 'probing' ? await this.probes.get(transfer)?.decided : transfer.flowMode;
    if (mode === 'burst') return undefined;
    return reply(stored ? await stored : inSpool);
  }

  /** Starts a transfer's spool record; resolves with whether it was written (undefined: no spool). */
  private spoolBegin(transfer: Transfer): Promise<boolean> | undefined {
    if (!this.spool) return undefined;
    try {
      this.spool.begin(spoolHeaderOf(transfer), (index) => transfer.payloadAt(index));
    } catch (error) {
      this.events.emit('storageFailed', transfer, error as Error);
      return Promise.resolve(false);
    }
    return this.spool.whenWritten();
  }

  /**
   * Adds a new packet to the spool's write of this turn (when there is one); resolves with
   * whether it was written. A packet that could not be is taken back: the device sends it again.
   */
  private spoolPacket(
    transfer: Transfer,
    packet: Pick<DataPacket, 'index' | 'payload'>,
  ): Promise<boolean> | undefined {
    if (!this.spool) return undefined;
    try {
      this.spool.append(transfer.transferId, packet.index, packet.payload);
    } catch (error) {
      this.unspooled(transfer, packet.index, error as Error);
      return Promise.resolve(false);
    }
    return this.spool.whenWritten()?.then((ok) => {
      if (!ok) this.unspooled(transfer, packet.index, new Error('the spool could not be written'));
      return ok;
    });
  }

  /** A packet that is not in the spool is not kept, unless the image it completed is being stored. */
  private unspooled(transfer: Transfer, index: number, error: Error): void {
    if (transfer.state !== 'storing' && this.store.get(transfer.key) === transfer)
      this.store.forgetPacket(transfer, index);
    this.events.emit('storageFailed', transfer, error);
  }

  private beginStoring(transfer: Transfer): void {
    const image = transfer.assemble(this.clock.now());
    transfer.state = 'storing';
    const writeStartedAt = performance.now();
    transfer.storing = this.images.save(image, this.arrivalOf(transfer)).then(
      (stored) => {
        // Before the final ACK: after a restart the transfer answers late duplicates, never stores twice.
        try {
          this.spool?.complete({
            transferId: transfer.transferId,
            key: transfer.key,
            ...transfer.parameters,
            imageSize: transfer.parameters.imageSize ?? null,
            flowMode: transfer.flowMode,
            imageId: stored.imageId,
            storedAt: this.clock.now(),
          });
        } catch {
          // The slot stays until the record is forgotten: a restart stores the image again, onto the same file.
        }
        this.store.complete(transfer, stored.imageId);
        this.events.emit('completed', transfer, stored, (performance.now() - writeStartedAt) / 1000);
        return true;
      },
      (error: Error) => {
        transfer.state = 'unstored';
        transfer.storing = undefined;
        this.events.emit('storageFailed', transfer, error);
        return false;
      },
    );
  }

  private arrivalOf(transfer: Transfer): ImageArrival {
    const { parameters, counters, remote } = transfer;
    return {
      transferId: transfer.transferId,
      clientType: transfer.clientType,
      deviceId: transfer.deviceId,
      source: { ...remote },
      flowMode: transfer.flowMode,
      packets: parameters.packetCount,
      packetSize: parameters.maxPacketSize,
      announcedSize: parameters.imageSize ?? null,
      ...counters,
      acceptedAt: transfer.acceptedAt,
      firstPacketAt: transfer.firstPacketAt,
      completedAt: transfer.completedAt ?? this.clock.now(),
    };
  }

  private onExpired(transfer: Transfer): void {
    const missing = transfer.missing(2);
    const lastIndex = transfer.parameters.packetCount - 1;
    const firmwareExactMultiple = lastIndex > 0 && missing.length === 1 && missing[0] === lastIndex;
    this.probes.get(transfer)?.decide(transfer.flowMode);
    this.spool?.discard(transfer.transferId);
    this.events.emit('expired', transfer, firmwareExactMultiple);
    if (transfer.state === 'unstored' && transfer.image) {
      // The device gave up, but the whole image is here: one last try to keep it.
      const writeStartedAt = performance.now();
      this.images.save(transfer.image, this.arrivalOf(transfer)).then(
        (stored) =>
          this.events.emit('completed', transfer, stored, (performance.now() - writeStartedAt) / 1000),
        (error: Error) => this.events.emit('storageFailed', transfer, error),
      );
    }
  }

  private refuse(request: UploadRequest, status: ReplyStatus, remote: RemoteEndpoint): Reply {
    this.events.emit('refused', status, remote.address);
    if (!this.refusals.take(remote.address)) {
      this.events.emit('suppressed', status);
      return undefined;
    }
    return this.uploadReply(request, status);
  }

  private nack(transfer: Transfer, packet: DataPacket, status: ReplyStatus): Reply {
    // Burst firmware reads no per-packet replies: a bad packet shows up as missing at end of transfer.
    if (transfer.flowMode === 'burst' || !this.refusals.take(transfer.remote.address)) {
      this.events.emit('suppressed', status);
      return undefined;
    }
    this.events.emit('nacked', status);
    return this.dataReply(packet, status);
  }

  private uploadReply(request: UploadRequest, status: ReplyStatus): Buffer {
    return encodeServerFrame(uploadReply(request, status));
  }

  private dataReply(packet: DataPacket, status: ReplyStatus): Buffer {
    return encodeServerFrame(dataReply(packet, status));
  }

  private missingReport(request: EndOfTransfer, missing: readonly number[]): Buffer {
    return encodeServerFrame(missingReport(request, missing));
  }
}

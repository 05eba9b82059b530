import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataPacket, EndOfTransfer, UploadRequest } from '#protocol';
import { EndOfTurn } from '#udp-transport';
import { CLOCK, type Clock } from '../common/clock.js';
import type { RemoteEndpoint } from '../common/transfer-model.js';
import type { Spool } from '../spool/spool.js';
import { ImageStore } from '../storage/image-store.js';
import { DataPackets } from './data-packets.js';
import { EndOfTransferRounds } from './end-of-transfer.js';
import { RECEIVE_BACKLOG, type ReceiveBacklog } from '../udp/receive-backlog.js';
import { FlowModes } from './flow-modes.js';
import { looksLikeExactMultipleBug, type TransferParts } from './transfer-parts.js';
import { TransferEvents } from './transfer-events.js';
import { TRANSFER_SPOOL, TransferJournal } from './transfer-journal.js';
import { TRANSFER_LIMITS, type TransferLimits } from './transfer-limits.js';
import { PEER_CREDIT, restoreFromSpool, type PeerCredit } from './transfer-recovery.js';
import { TransferReplies, type Reply } from './transfer-replies.js';
import { TransferStatistics } from './transfer-statistics.js';
import { TransferStorer } from './transfer-storing.js';
import { TransferStore } from './transfer-store.js';
import { UploadRequests } from './upload-requests.js';

export type { Reply } from './transfer-replies.js';

const noBacklog: ReceiveBacklog = () => Promise.resolve(0);
const noCredit: PeerCredit = () => undefined;

/**
 * The transfer protocol of client type 1 (ops 1-3): accepts uploads, reassembles packets, has
 * complete images stored, and answers each device the way its firmware generation expects. It
 * only coordinates: each op has its handler (`UploadRequests`, `DataPackets`,
 * `EndOfTransferRounds`), a transfer's lifecycle is `Transfer`'s, pacing is `FlowModes`', the
 * spool's records are `TransferJournal`'s, limits and time are `TransferStore`'s, writes are
 * `TransferStorer`'s. Synchronous on the common path (an ACK is built and returned at once, and
 * leaves at the end of the turn once the spool is written); only replies that wait for a write,
 * a probe or the accept hold are promises.
 */
@Injectable()
export class TransfersService implements OnModuleInit, OnModuleDestroy {
  readonly statistics = new TransferStatistics();
  private readonly parts: TransferParts;
  private readonly requests: UploadRequests;
  private readonly packets: DataPackets;
  private readonly rounds: EndOfTransferRounds;

  constructor(
    @Inject(TRANSFER_LIMITS) limits: TransferLimits,
    @Inject(CLOCK) clock: Clock,
    images: ImageStore,
    readonly events: TransferEvents,
    turn: EndOfTurn,
    @Optional() @Inject(TRANSFER_SPOOL) spool: Spool | null = null,
    @Optional() @Inject(RECEIVE_BACKLOG) backlog: ReceiveBacklog = noBacklog,
    @Optional() @Inject(PEER_CREDIT) private readonly credit: PeerCredit = noCredit,
  ) {
    const store: TransferStore = new TransferStore(limits, clock, {
      dormant: (transfer) => {
        events.emit('dormant', transfer);
        // The device went quiet with its image whole (a burst device that gave up): one last try to keep it.
        if (transfer.isComplete && transfer.state === 'complete' && transfer.flowMode === 'burst') {
          const device = store.deviceOf(transfer);
          if (device) {
            transfer.endOfTransfer(clock.now(), undefined);
            void this.parts.storer.write(device, transfer);
          }
        }
      },
      forgotten: (transfer) => {
        events.emit('expired', transfer, looksLikeExactMultipleBug(transfer));
        this.parts.journal.discard(transfer);
        this.parts.flow.ended(transfer);
      },
    });
    const journal = new TransferJournal(spool, turn, (transfer, index) =>
      store.forgetPacket(transfer, index),
    );
    this.parts = {
      limits,
      clock,
      store,
      journal,
      replies: new TransferReplies(
        limits.refusalsPerSecond,
        clock,
        limits.refusalBudgetAddresses,
        this.statistics,
        events,
      ),
      flow: new FlowModes(clock, limits, backlog, turn, journal),
      storer: new TransferStorer(images, store, journal, events, clock),
      images,
      events,
      statistics: this.statistics,
    };
    this.requests = new UploadRequests(this.parts);
    this.packets = new DataPackets(this.parts, this.requests);
    this.rounds = new EndOfTransferRounds(this.parts);
  }

  /** Starts time and, with a spool, resumes what a previous process left in flight. */
  async onModuleInit(): Promise<void> {
    this.parts.store.start();
    await restoreFromSpool(this.parts, this.credit);
  }

  onModuleDestroy(): void {
    this.parts.store.stop();
    this.parts.journal.close();
  }

  get activeTransfers(): number {
    return this.parts.store.activeCount;
  }

  get dormantTransfers(): number {
    return this.parts.store.dormantCount;
  }

  get bufferedBytes(): number {
    return this.parts.store.bufferedBytes;
  }

  /** Whether new uploads are accepted now (not draining, room for one more). */
  get acceptingUploads(): boolean {
    return this.requests.acceptingUploads;
  }

  /** From now on new uploads are refused (busy); transfers in progress go on. */
  beginDrain(): void {
    this.requests.beginDrain();
  }

  /**
   * Shutdown: waits (at most `graceMs`) for the images being written, then writes the spool and
   * closes it. Transfers in progress are not waited for: they stay in the spool and resume in the
   * next process. Returns how many there were.
   */
  async drain(graceMs: number): Promise<number> {
    const { store, clock } = this.parts;
    const writes = [...store.activeTransfers()].flatMap((transfer) =>
      transfer.storing ? [transfer.storing] : [],
    );
    await Promise.race([
      Promise.all(writes),
      new Promise((resolve) => clock.setTimeout(() => resolve(undefined), graceMs)),
    ]);
    const unfinished = store.activeCount + store.dormantCount;
    this.onModuleDestroy();
    return unfinished;
  }

  handleUploadRequest(request: UploadRequest, remote: RemoteEndpoint): Reply | Promise<Reply> {
    return this.requests.handle(request, remote);
  }

  handleDataPacket(packet: DataPacket, remote: RemoteEndpoint): Reply | Promise<Reply> {
    return this.packets.handle(packet, remote);
  }

  /**
   * `replyBudget`: bytes the device may still be sent (the transport's amplification budget); a
   * missing list is cut to fit it rather than dropped.
   */
  handleEndOfTransfer(
    frame: EndOfTransfer,
    remote: RemoteEndpoint,
    replyBudget = Number.POSITIVE_INFINITY,
  ): Reply | Promise<Reply> {
    return this.rounds.handle(frame, remote, replyBudget);
  }
}

import {
  dataReply,
  encodeServerFrame,
  missingReport,
  ReplyStatus,
  restartTransfer,
  uploadReply,
  type DataPacket,
  type EndOfTransfer,
  type UploadRequest,
} from '#protocol';
import type { Clock } from '../common/clock.js';
import { RefusalBudget } from './refusal-budget.js';
import type { TransferEvents } from './transfer-events.js';
import type { TransferStatistics } from './transfer-statistics.js';

/** A reply to send back, now or once a write or a probe has settled; undefined: send nothing. */
export type Reply = Buffer | undefined;

/**
 * The transfer layer's answers, encoded: accepts, ACKs and missing lists as the firmware reads
 * them, and refusals and NACKs within each source address's budget (a broken or hostile device
 * gets at most REFUSALS_PER_SECOND of them; the rest are dropped and counted).
 */
export class TransferReplies {
  private readonly budget: RefusalBudget;

  constructor(
    refusalsPerSecond: number,
    clock: Clock,
    trackedAddresses: number,
    private readonly statistics: TransferStatistics,
    private readonly events: TransferEvents,
  ) {
    this.budget = new RefusalBudget(refusalsPerSecond, clock, trackedAddresses);
  }

  accept(request: UploadRequest): Buffer {
    return encodeServerFrame(uploadReply(request, ReplyStatus.Ok));
  }

  ack(packet: DataPacket): Buffer {
    return encodeServerFrame(dataReply(packet, ReplyStatus.Ok));
  }

  /** The missing list (k = 0: stored); for a checksum-bearing end of transfer, with the CRC echoed. */
  missing(frame: EndOfTransfer, indices: readonly number[]): Buffer {
    return encodeServerFrame(missingReport(frame, indices));
  }

  /** Generation C's k = 255: no transfer this CRC belongs to; send the request and the burst again. */
  startAgain(frame: EndOfTransfer): Reply {
    return frame.checksum === undefined ? undefined : encodeServerFrame(restartTransfer(frame));
  }

  /** Refuses an upload request (counted, logged by reason); undefined when the budget is spent. */
  refuse(request: UploadRequest, status: ReplyStatus, address: string): Reply {
    this.events.emit('refused', status, address);
    if (!this.budget.take(address)) {
      this.statistics.suppress(ReplyStatus[status]);
      return undefined;
    }
    return encodeServerFrame(uploadReply(request, status));
  }

  /** NACKs a data packet; undefined when the budget is spent. */
  nack(packet: DataPacket, status: ReplyStatus, address: string): Reply {
    if (!this.budget.take(address)) {
      this.statistics.suppress(ReplyStatus[status]);
      return undefined;
    }
    this.events.emit('nacked', status);
    return encodeServerFrame(dataReply(packet, status));
  }
}

import { crc32 } from 'node:zlib';
import type { Clock } from '../common/clock.js';
import type { CompletedTransfer } from '../common/transfer-model.js';
import type { ImageArrival, StoredImage } from '../storage/image-record.js';
import type { ImageStore } from '../storage/image-store.js';
import { packetDigestsOf } from './completed-transfer.js';
import type { Device } from './device.js';
import type { Transfer } from './transfer.js';
import type { TransferEvents } from './transfer-events.js';
import type { TransferJournal } from './transfer-journal.js';
import type { TransferStore } from './transfer-store.js';

/** How a write ended: stored, the disk failed, or the image is not the one the device checksummed. */
export type StoreOutcome = 'stored' | 'failed' | 'checksum-mismatch';

function arrivalOf(transfer: Transfer, now: number): ImageArrival {
  const { parameters, counters, remote } = transfer;
  return {
    transferId: transfer.transferId,
    clientType: transfer.clientType,
    deviceId: transfer.deviceId,
    source: { ...remote },
    flowMode: transfer.flowMode,
    packets: parameters.packetCount,
    packetSize: parameters.maxPacketSize,
    announcedSize: parameters.imageSize,
    ...counters,
    acceptedAt: transfer.acceptedAt,
    firstPacketAt: transfer.firstPacketAt,
    completedAt: transfer.completedAt ?? now,
  };
}

/**
 * Writes whole images and turns their transfers into records. Acknowledged means stored: the
 * caller answers the device only once `store` resolved 'stored', after the image and its sidecar
 * are on disk and the completion is in the completed log.
 */
export class TransferStorer {
  private readonly writes = new WeakMap<Transfer, Promise<StoreOutcome>>();

  constructor(
    private readonly images: ImageStore,
    private readonly store: TransferStore,
    private readonly journal: TransferJournal,
    private readonly events: TransferEvents,
    private readonly clock: Clock,
  ) {}

  /** The write of `transfer`, started now if it is ready and none is under way. */
  write(device: Device, transfer: Transfer): Promise<StoreOutcome> {
    const under = this.writes.get(transfer);
    if (under && transfer.state === 'storing') return under;
    const image = transfer.startStoring(this.clock.now());
    const checksum = crc32(image);
    const expected = transfer.expectedChecksum;
    if (expected !== undefined && checksum !== expected) {
      this.events.emit('checksumMismatch', transfer);
      transfer.storeFailed();
      return Promise.resolve('checksum-mismatch');
    }
    const startedAt = performance.now();
    const write = this.images.save(image, arrivalOf(transfer, this.clock.now())).then(
      (stored) => {
        this.completed(device, transfer, image, checksum, stored, (performance.now() - startedAt) / 1000);
        return 'stored' as const;
      },
      (error: Error) => {
        transfer.storeFailed();
        this.events.emit('storageFailed', transfer, error);
        return 'failed' as const;
      },
    );
    this.writes.set(transfer, write);
    transfer.storing = write.then((outcome) => outcome === 'stored');
    return write;
  }

  /** The write under way for `transfer`, if any. */
  writeOf(transfer: Transfer): Promise<StoreOutcome> | undefined {
    return transfer.state === 'storing' ? this.writes.get(transfer) : undefined;
  }

  private completed(
    device: Device,
    transfer: Transfer,
    image: Buffer,
    checksum: number,
    stored: StoredImage,
    writeSeconds: number,
  ): void {
    const record: CompletedTransfer = {
      ...transfer.describe(),
      imageId: stored.imageId,
      storedAt: this.clock.now(),
      packetDigests: packetDigestsOf(transfer.parameters, image),
      imageChecksum: checksum,
    };
    try {
      // Before the final answer: after a restart the transfer answers late duplicates, never stores twice.
      this.journal.complete(record);
    } catch {
      // The transfer stays in the spool: a restart stores the image again, onto the same file.
    }
    device.remember(record);
    this.events.emit('completed', transfer, stored, writeSeconds);
    this.store.end(device, transfer);
    transfer.stored();
  }
}

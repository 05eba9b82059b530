import type { Clock, TimerHandle } from '../common/clock.js';
import type { CompletedTransfer } from './completed-transfer.js';
import type { PacketOutcome, Transfer, TransferState } from './transfer.js';
import { SWEEP_INTERVAL_MS, type TransferLimits } from './transfer-limits.js';

/** Why the store cannot take one more transfer. */
export type CapacityRefusal = 'transfers' | 'transfers-per-ip' | 'memory';

export type ExpiryListener = (transfer: Transfer) => void;

/**
 * The transfers in progress and the records of recent completed ones. Owns the limits on how
 * many there are and how much memory they hold, and expiry.
 */
export class TransferStore {
  private readonly active = new Map<string, Transfer>();
  private readonly completed = new Map<string, CompletedTransfer>();
  private readonly activePerIp = new Map<string, number>();
  private totalBufferedBytes = 0;
  private sweeper: TimerHandle | undefined;

  constructor(
    private readonly limits: TransferLimits,
    private readonly clock: Clock,
    private readonly onExpired: ExpiryListener,
    private readonly onForgotten: (record: CompletedTransfer) => void = () => undefined,
  ) {}

  start(): void {
    this.sweeper ??= this.clock.setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
  }

  stop(): void {
    this.sweeper?.cancel();
    this.sweeper = undefined;
  }

  get activeCount(): number {
    return this.active.size;
  }

  get bufferedBytes(): number {
    return this.totalBufferedBytes;
  }

  activeTransfers(): IterableIterator<Transfer> {
    return this.active.values();
  }

  get(key: string): Transfer | undefined {
    return this.active.get(key);
  }

  getCompleted(key: string): CompletedTransfer | undefined {
    const record = this.completed.get(key);
    if (record && record.forgetAt <= this.clock.now()) {
      this.forget(record);
      return undefined;
    }
    return record;
  }

  /** Whether one more transfer from `address` fits; undefined when it does. */
  capacityRefusal(address: string): CapacityRefusal | undefined {
    if (this.active.size >= this.limits.maxTransfers) return 'transfers';
    const perIpLimit = this.limits.maxTransfersPerIp;
    if (perIpLimit > 0 && (this.activePerIp.get(address) ?? 0) >= perIpLimit) return 'transfers-per-ip';
    if (this.totalBufferedBytes >= this.limits.maxReassemblyBytes) return 'memory';
    return undefined;
  }

  /** Whether `bytes` more payload can be held without passing the reassembly memory limit. */
  hasRoomFor(bytes: number): boolean {
    return this.totalBufferedBytes + bytes <= this.limits.maxReassemblyBytes;
  }

  add(transfer: Transfer): void {
    this.remove(transfer.key);
    const previous = this.completed.get(transfer.key);
    if (previous) this.forget(previous);
    this.active.set(transfer.key, transfer);
    const address = transfer.remote.address;
    this.activePerIp.set(address, (this.activePerIp.get(address) ?? 0) + 1);
  }

  forgetPacket(transfer: Transfer, index: number): void {
    const before = transfer.bufferedBytes;
    transfer.forget(index);
    this.totalBufferedBytes += transfer.bufferedBytes - before;
  }

  /** Restores the record of a transfer stored before a restart. */
  restoreCompleted(record: CompletedTransfer): void {
    this.completed.set(record.key, record);
  }

  acceptPacket(transfer: Transfer, index: number, payload: Buffer): PacketOutcome {
    const before = transfer.bufferedBytes;
    const outcome = transfer.accept(index, payload, this.clock.now());
    this.totalBufferedBytes += transfer.bufferedBytes - before;
    return outcome;
  }

  /** Removes an active transfer and frees its memory; returns it, if there was one. */
  remove(key: string): Transfer | undefined {
    const transfer = this.active.get(key);
    if (!transfer) return undefined;
    this.detach(transfer);
    transfer.release();
    return transfer;
  }

  /** Replaces a stored transfer by its record. */
  complete(transfer: Transfer, imageId: string): CompletedTransfer {
    const current = this.active.get(transfer.key);
    if (current === transfer) this.remove(transfer.key);
    else transfer.release();
    const record: CompletedTransfer = {
      key: transfer.key,
      transferId: transfer.transferId,
      parameters: transfer.parameters,
      flowMode: transfer.flowMode,
      imageId,
      forgetAt: this.clock.now() + this.limits.completedRecordTtlMs,
    };
    // A device that restarted while this image was being written has a newer transfer under the key.
    const superseded = current !== undefined && current !== transfer;
    const previous = this.completed.get(transfer.key);
    if (previous) this.forget(previous);
    if (this.limits.completedRecordTtlMs > 0 && !superseded) this.completed.set(transfer.key, record);
    else this.onForgotten(record);
    return record;
  }

  /** Expires idle transfers and forgets old records. Runs on a timer; public for tests. */
  sweep(): void {
    const now = this.clock.now();
    for (const transfer of this.active.values()) {
      const timeout = this.timeoutOf(transfer.state);
      if (timeout !== undefined && now - transfer.lastActivityAt >= timeout) {
        this.detach(transfer);
        this.onExpired(transfer);
        transfer.release();
      }
    }
    for (const record of this.completed.values()) {
      if (record.forgetAt <= now) this.forget(record);
    }
  }

  private timeoutOf(state: TransferState): number | undefined {
    switch (state) {
      case 'accepted':
        return this.limits.acceptedTimeoutMs;
      case 'receiving':
      case 'unstored':
        return this.limits.receivingTimeoutMs;
      case 'storing':
        return undefined;
    }
  }

  private forget(record: CompletedTransfer): void {
    this.completed.delete(record.key);
    this.onForgotten(record);
  }

  private detach(transfer: Transfer): void {
    this.active.delete(transfer.key);
    this.totalBufferedBytes -= transfer.bufferedBytes;
    const address = transfer.remote.address;
    const remaining = (this.activePerIp.get(address) ?? 1) - 1;
    if (remaining > 0) this.activePerIp.set(address, remaining);
    else this.activePerIp.delete(address);
  }
}

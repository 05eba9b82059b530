import type { Clock, TimerHandle } from '../common/clock.js';
import type { CompletedTransfer } from '../common/transfer-model.js';
import { Device, DeviceTable } from './device.js';
import type { PacketOutcome, Transfer, TransferState } from './transfer.js';
import type { TransferLimits } from './transfer-limits.js';

/** Records of stored images are looked over once every this many sweeps (they also expire when read). */
const RECORD_SWEEP_EVERY = 240;

/** Why the store cannot take one more transfer in progress. */
export type CapacityRefusal = 'transfers' | 'transfers-per-ip' | 'memory';

/** What the store tells the service as time passes. */
export interface StoreListeners {
  /** A transfer idle past its timeout went dormant (it keeps its packets). */
  dormant(transfer: Transfer, device: Device): void;
  /** A dormant transfer was given up: past its time, or its memory was needed. */
  forgotten(transfer: Transfer, device: Device): void;
}

/**
 * The devices, their transfers in progress and the records of their stored images; owns the
 * limits on how many transfers are in progress and how much memory they hold, who gives way when
 * the limit is reached, and what time does to transfers.
 *
 * Admission is fair by source address: at the limit, the address holding the most transfers gives
 * way (its idlest goes dormant) to an address holding fewer, so that one host cannot lock out the
 * fleet. An idle transfer is not dropped but goes dormant: it no longer counts against the limit,
 * keeps what it received, and its device's next datagram wakes it (generation A, once accepted,
 * never asks again). Dormant transfers are given up oldest first, past their time or when their
 * memory is needed.
 */
export class TransferStore {
  readonly devices: DeviceTable;
  private readonly activePerAddress = new Map<string, number>();
  private readonly active = new Set<Transfer>();
  private readonly ownerOf = new Map<Transfer, Device>();
  /** Dormant transfers, oldest first. */
  private readonly sleeping = new Set<Transfer>();
  private totalBytes = 0;
  private sweeps = 0;
  private sweeper: TimerHandle | undefined;

  constructor(
    private readonly limits: TransferLimits,
    private readonly clock: Clock,
    private readonly listeners: StoreListeners,
  ) {
    this.devices = new DeviceTable(limits.devicesTracked);
  }

  start(): void {
    this.sweeper ??= this.clock.setInterval(() => this.sweep(), this.limits.sweepIntervalMs);
  }

  stop(): void {
    this.sweeper?.cancel();
    this.sweeper = undefined;
  }

  get activeCount(): number {
    return this.active.size;
  }

  get dormantCount(): number {
    return this.sleeping.size;
  }

  get bufferedBytes(): number {
    return this.totalBytes;
  }

  activeTransfers(): IterableIterator<Transfer> {
    return this.active.values();
  }

  /** Whether one more transfer from `address` could be admitted now, making room fairly if needed. */
  capacityRefusal(address: string): CapacityRefusal | undefined {
    const perIp = this.limits.maxTransfersPerIp;
    const held = this.activePerAddress.get(address) ?? 0;
    if (perIp > 0 && held >= perIp) return 'transfers-per-ip';
    // Dormant transfers give their memory up first.
    if (this.totalBytes >= this.limits.maxReassemblyBytes && this.sleeping.size === 0) return 'memory';
    if (this.active.size < this.limits.maxTransfers) return undefined;
    return this.givingWay(address, held) ? undefined : 'transfers';
  }

  /**
   * Makes `transfer` the device's transfer in progress, making room fairly when at the limit; the
   * device's previous transfer, if any, must have been ended. Returns why not when there is no room.
   */
  admit(device: Device, transfer: Transfer): CapacityRefusal | undefined {
    const refusal = this.makeRoom(device.address);
    if (refusal) return refusal;
    device.active = transfer;
    this.ownerOf.set(transfer, device);
    this.activate(transfer);
    this.totalBytes += transfer.bufferedBytes;
    return undefined;
  }

  /** Puts back a transfer found at start-up beyond the limit in progress: dormant until its device is back. */
  restoreDormant(device: Device, transfer: Transfer): void {
    device.active = transfer;
    this.ownerOf.set(transfer, device);
    this.totalBytes += transfer.bufferedBytes;
    transfer.sleep(this.clock.now());
    this.sleeping.add(transfer);
  }

  /** Wakes the device's dormant transfer if there is room for it; whether it is in progress now. */
  wake(device: Device, transfer: Transfer): boolean {
    if (transfer.dormantSince === undefined) return true;
    if (this.makeRoom(device.address) !== undefined) return false;
    this.sleeping.delete(transfer);
    transfer.wake(this.clock.now());
    this.activate(transfer);
    return true;
  }

  /**
   * Stores a packet, keeping the memory total; undefined when there is no memory for it (dormant
   * transfers give theirs up first, never the receiving one), or the store no longer holds the
   * transfer (its memory is not counted any more).
   */
  receive(transfer: Transfer, index: number, payload: Buffer): PacketOutcome | undefined {
    if (!this.ownerOf.has(transfer)) return undefined;
    if (!transfer.holds(index) && !this.forgetDormantUntil(payload.length, transfer)) return undefined;
    const before = transfer.bufferedBytes;
    const outcome = transfer.receive(index, payload, this.clock.now());
    this.totalBytes += transfer.bufferedBytes - before;
    return outcome;
  }

  /** `Transfer.replace`, keeping the memory total. */
  replace(transfer: Transfer, index: number, payload: Buffer): boolean {
    if (!this.ownerOf.has(transfer)) return false;
    const before = transfer.bufferedBytes;
    const replaced = transfer.replace(index, payload);
    this.totalBytes += transfer.bufferedBytes - before;
    return replaced;
  }

  forgetPacket(transfer: Transfer, index: number): void {
    const before = transfer.bufferedBytes;
    transfer.forget(index);
    this.totalBytes += transfer.bufferedBytes - before;
  }

  /** Ends the device's transfer (stored, aborted, given up) and frees what it held. */
  end(device: Device, transfer: Transfer): void {
    if (device.active === transfer) device.active = undefined;
    if (!this.ownerOf.delete(transfer)) return;
    this.totalBytes -= transfer.bufferedBytes;
    this.sleeping.delete(transfer);
    this.deactivate(transfer);
    transfer.release();
  }

  /** Time passing: idle transfers go dormant, old dormant ones and old records are forgotten. Public for tests. */
  sweep(): void {
    const now = this.clock.now();
    for (const transfer of this.active) {
      const timeout = this.timeoutOf(transfer.state);
      if (timeout !== undefined && now - transfer.lastActivityAt >= timeout) this.putToSleep(transfer, now);
    }
    for (const transfer of this.sleeping) {
      if (now - transfer.dormantSince! < this.limits.dormantTransferTtlMs) break;
      this.forget(transfer);
    }
    if (++this.sweeps % RECORD_SWEEP_EVERY === 0) {
      for (const device of this.devices.all()) this.recordOf(device, now);
    }
  }

  /** The record of the device's last stored image, while it is remembered. */
  recordOf(device: Device, now: number): CompletedTransfer | undefined {
    const record = device.previous;
    if (record && record.storedAt + this.limits.completedRecordTtlMs <= now) device.previous = undefined;
    return device.previous;
  }

  /** The device of a transfer the store holds. */
  deviceOf(transfer: Transfer): Device | undefined {
    return this.ownerOf.get(transfer);
  }

  /** Forgets dormant transfers (but `keep`), oldest first, until `bytes` more fit; whether they do. */
  private forgetDormantUntil(bytes: number, keep?: Transfer): boolean {
    const fits = (): boolean => this.totalBytes + bytes <= this.limits.maxReassemblyBytes;
    for (const transfer of this.sleeping) {
      if (fits()) break;
      if (transfer !== keep) this.forget(transfer);
    }
    return fits();
  }

  private makeRoom(address: string): CapacityRefusal | undefined {
    const refusal = this.capacityRefusal(address);
    if (refusal) return refusal;
    if (!this.forgetDormantUntil(1)) return 'memory';
    if (this.active.size >= this.limits.maxTransfers) {
      const giver = this.givingWay(address, this.activePerAddress.get(address) ?? 0);
      if (!giver) return 'transfers';
      this.putToSleep(giver, this.clock.now());
    }
    return undefined;
  }

  /**
   * The transfer that gives way to one more from `address` (which holds `held`): the idlest of the
   * address holding the most, if that holds more than `held` + 1 (not one being written).
   */
  private givingWay(address: string, held: number): Transfer | undefined {
    const heaviest = this.heaviestOtherThan(address, held);
    if (heaviest === undefined) return undefined;
    let idlest: Transfer | undefined;
    for (const transfer of this.active) {
      if (transfer.remote.address !== heaviest || transfer.state === 'storing') continue;
      if (!idlest || transfer.lastActivityAt < idlest.lastActivityAt) idlest = transfer;
    }
    return idlest;
  }

  /** The address holding the most transfers in progress, if it holds more than `held` + 1. */
  private heaviestOtherThan(address: string, held: number): string | undefined {
    let heaviest: string | undefined;
    let most = held + 1;
    for (const [other, count] of this.activePerAddress) {
      if (other !== address && count > most) {
        heaviest = other;
        most = count;
      }
    }
    return heaviest;
  }

  private putToSleep(transfer: Transfer, now: number): void {
    const device = this.ownerOf.get(transfer);
    if (!device || transfer.dormantSince !== undefined) return;
    this.deactivate(transfer);
    transfer.sleep(now);
    this.sleeping.add(transfer);
    this.listeners.dormant(transfer, device);
    while (this.sleeping.size > this.limits.maxTransfers) this.forget(this.sleeping.values().next().value!);
  }

  private forget(transfer: Transfer): void {
    const device = this.ownerOf.get(transfer);
    if (!device) return;
    this.listeners.forgotten(transfer, device);
    this.end(device, transfer);
  }

  private activate(transfer: Transfer): void {
    this.active.add(transfer);
    const address = transfer.remote.address;
    this.activePerAddress.set(address, (this.activePerAddress.get(address) ?? 0) + 1);
  }

  private deactivate(transfer: Transfer): void {
    if (!this.active.delete(transfer)) return;
    const address = transfer.remote.address;
    const remaining = (this.activePerAddress.get(address) ?? 1) - 1;
    if (remaining > 0) this.activePerAddress.set(address, remaining);
    else this.activePerAddress.delete(address);
  }

  private timeoutOf(state: TransferState): number | undefined {
    switch (state) {
      case 'accepted':
        return this.limits.acceptedTimeoutMs;
      case 'receiving':
      case 'complete':
      case 'unstored':
        return this.limits.receivingTimeoutMs;
      case 'storing':
      case 'stored':
        return undefined;
    }
  }
}

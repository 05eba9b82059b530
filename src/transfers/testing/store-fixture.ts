import { afterEach, beforeEach } from 'node:test';
import { FakeClock } from '../../common/fake-clock.js';
import type { Device } from '../device.js';
import { Transfer } from '../transfer.js';
import type { TransferLimits } from '../transfer-limits.js';
import { TransferStore } from '../transfer-store.js';
import { limitsWith } from './transfer-harness.js';

/** P = 1024: 1016 payload bytes a packet, ten packets. */
export const PARAMETERS = { packetCount: 10, maxPacketSize: 1024, imageSize: null };
export const PAYLOAD = Buffer.alloc(1016, 7);

/**
 * Test support for the TransferStore specs: a store on a fake clock (4 transfers, 64 KiB, unless
 * `storeWith` says otherwise), what its listeners were told, and transfers admitted from new
 * devices; `use()` makes a fresh one before each test and stops it after.
 */
export class TransferStoreFixture {
  clock!: FakeClock;
  store!: TransferStore;
  limits!: TransferLimits;
  /** `dormant <id>` and `forgotten <id>`, in order. */
  told: string[] = [];
  private nextId = 0;

  static use(): TransferStoreFixture {
    const fixture = new TransferStoreFixture();
    beforeEach(() => {
      fixture.clock = new FakeClock();
      fixture.told = [];
      fixture.nextId = 0;
      fixture.storeWith({});
    });
    afterEach(() => fixture.store.stop());
    return fixture;
  }

  /** Replaces the store (the old one stopped) by one with these limits, started. */
  storeWith(overrides: Partial<TransferLimits>): TransferStore {
    this.store?.stop();
    this.limits = limitsWith({
      maxTransfers: 4,
      maxTransfersPerIp: 0,
      maxReassemblyBytes: 64 * 1024,
      ...overrides,
    });
    this.store = new TransferStore(this.limits, this.clock, {
      dormant: (transfer) => this.told.push(`dormant ${transfer.transferId}`),
      forgotten: (transfer) => this.told.push(`forgotten ${transfer.transferId}`),
    });
    this.store.start();
    return this.store;
  }

  /** A transfer for a new device at `address` (a port of its own), admitted or refused. */
  admitFrom(
    address: string,
    id = `t${this.nextId}`,
  ): { device: Device; transfer: Transfer; refusal: string | undefined } {
    const port = 40_000 + this.nextId++;
    const device = this.store.devices.getOrAdd(address, port, 99, this.clock.now());
    const transfer = new Transfer(
      id,
      1,
      99,
      { address, port },
      PARAMETERS,
      this.clock.now(),
      'stop-and-wait',
    );
    return { device, transfer, refusal: this.store.admit(device, transfer) };
  }

  /** What the listeners were told of transfers given up. */
  forgotten(): string[] {
    return this.told.filter((line) => line.startsWith('forgotten'));
  }
}

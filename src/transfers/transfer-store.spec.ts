import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../common/fake-clock.js';
import { validateEnvironment } from '../config/index.js';
import type { CompletedTransfer } from '../common/transfer-model.js';
import type { Device } from './device.js';
import { limitsWith } from './testing/transfer-harness.js';
import { Transfer } from './transfer.js';
import { transferLimitsFrom, type TransferLimits } from './transfer-limits.js';
import { TransferStore } from './transfer-store.js';

/** P = 1024: 1016 payload bytes a packet, ten packets. */
const PARAMETERS = { packetCount: 10, maxPacketSize: 1024, imageSize: null };
const PAYLOAD = Buffer.alloc(1016, 7);

describe('TransferStore', () => {
  let clock: FakeClock;
  let store: TransferStore;
  let limits: TransferLimits;
  let told: string[];
  let nextId: number;

  function storeWith(overrides: Partial<TransferLimits>): TransferStore {
    limits = limitsWith({
      maxTransfers: 4,
      maxTransfersPerIp: 0,
      maxReassemblyBytes: 64 * 1024,
      ...overrides,
    });
    store = new TransferStore(limits, clock, {
      dormant: (transfer) => told.push(`dormant ${transfer.transferId}`),
      forgotten: (transfer) => told.push(`forgotten ${transfer.transferId}`),
    });
    store.start();
    return store;
  }

  /** A transfer for a new device at `address` (a port of its own), admitted or refused. */
  function admitFrom(
    address: string,
    id = `t${nextId}`,
  ): { device: Device; transfer: Transfer; refusal: string | undefined } {
    const port = 40_000 + nextId++;
    const device = store.devices.getOrAdd(address, port, 99, clock.now());
    const transfer = new Transfer(id, 1, 99, { address, port }, PARAMETERS, clock.now(), 'stop-and-wait');
    return { device, transfer, refusal: store.admit(device, transfer) };
  }

  beforeEach(() => {
    clock = new FakeClock();
    told = [];
    nextId = 0;
    storeWith({});
  });

  afterEach(() => store.stop());

  describe('admission', () => {
    it('admits up to MAX_TRANSFERS and makes each its device’s transfer in progress', () => {
      const admitted = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((address) => admitFrom(address));
      assert.deepEqual(
        admitted.map((each) => each.refusal),
        [undefined, undefined, undefined, undefined],
      );
      for (const { device, transfer } of admitted) assert.equal(device.active, transfer);
      assert.equal(store.activeCount, 4);
      assert.equal(store.deviceOf(admitted[2]!.transfer), admitted[2]!.device);
    });

    // Holdings by address at the limit (4), and who asks for one more.
    const fairness: [string, string[], string, string | undefined, string | undefined][] = [
      [
        'an address holding fewer takes the idlest of the one holding most',
        ['A', 'A', 'A', 'B'],
        'B',
        undefined,
        't0',
      ],
      ['a new address takes from one holding two', ['A', 'A', 'B', 'C'], 'D', undefined, 't0'],
      ['the address holding most gets nothing more', ['A', 'A', 'A', 'B'], 'A', 'transfers', undefined],
      [
        'two addresses holding two each: neither takes from the other',
        ['A', 'A', 'B', 'B'],
        'B',
        'transfers',
        undefined,
      ],
      ['one transfer an address each: nobody gives way', ['A', 'B', 'C', 'D'], 'E', 'transfers', undefined],
    ];
    for (const [what, holdings, asker, refusal, givesWay] of fairness) {
      it(`at the limit, ${what}`, () => {
        for (const address of holdings) {
          admitFrom(address);
          clock.advance(10);
        }
        assert.equal(store.capacityRefusal(asker), refusal);
        const asked = admitFrom(asker, 'new');
        assert.equal(asked.refusal, refusal);
        assert.deepEqual(told, givesWay ? [`dormant ${givesWay}`] : []);
        assert.equal(store.activeCount, 4);
        assert.equal(store.dormantCount, givesWay ? 1 : 0);
      });
    }

    it('never makes an image being written give way', () => {
      const writing = admitFrom('A');
      for (let index = 0; index < 10; index++) store.receive(writing.transfer, index, PAYLOAD);
      writing.transfer.startStoring(clock.now());
      clock.advance(10);
      for (const address of ['A', 'A', 'B']) admitFrom(address);
      assert.equal(admitFrom('B').refusal, undefined);
      assert.equal(writing.transfer.dormantSince, undefined);
      assert.deepEqual(told, ['dormant t1']);
    });

    it('refuses a third transfer from one address at MAX_TRANSFERS_PER_IP 2, and takes another address’s', () => {
      storeWith({ maxTransfersPerIp: 2 });
      assert.deepEqual(
        [admitFrom('A').refusal, admitFrom('A').refusal, admitFrom('A').refusal],
        [undefined, undefined, 'transfers-per-ip'],
      );
      assert.equal(admitFrom('B').refusal, undefined);
    });
  });

  describe('memory', () => {
    it('keeps the total of what transfers hold, and refuses a new packet past MAX_REASSEMBLY_BYTES', () => {
      storeWith({ maxReassemblyBytes: 3 * 1016 });
      const { transfer } = admitFrom('A');
      assert.deepEqual(
        [0, 1, 2].map((index) => store.receive(transfer, index, PAYLOAD)),
        ['new', 'new', 'new'],
      );
      assert.equal(store.bufferedBytes, 3 * 1016);
      assert.equal(store.receive(transfer, 3, PAYLOAD), undefined, 'no memory for one more');
      assert.equal(store.receive(transfer, 1, PAYLOAD), 'duplicate', 'a copy of what is held needs none');
      assert.equal(store.capacityRefusal('B'), 'memory');
      assert.equal(admitFrom('B').refusal, 'memory');
      store.forgetPacket(transfer, 2);
      assert.equal(store.bufferedBytes, 2 * 1016);
    });

    it('gives the memory of dormant transfers up first, oldest first: for a new transfer, then for a packet', () => {
      storeWith({ maxReassemblyBytes: 4 * 1016 });
      const first = admitFrom('A', 'first');
      const second = admitFrom('B', 'second');
      for (const index of [0, 1, 2]) store.receive(first.transfer, index, PAYLOAD);
      store.receive(second.transfer, 0, PAYLOAD);
      clock.advance(limits.receivingTimeoutMs + limits.sweepIntervalMs);
      assert.deepEqual([store.dormantCount, store.bufferedBytes], [2, 4 * 1016]);
      const forgotten = (): string[] => told.filter((line) => line.startsWith('forgotten'));
      const { transfer } = admitFrom('C');
      assert.deepEqual(forgotten(), ['forgotten first'], 'full: the oldest dormant transfer makes room');
      for (const index of [0, 1, 2]) assert.equal(store.receive(transfer, index, PAYLOAD), 'new');
      assert.deepEqual(forgotten(), ['forgotten first']);
      assert.equal(store.receive(transfer, 3, PAYLOAD), 'new');
      assert.deepEqual(forgotten(), ['forgotten first', 'forgotten second']);
      assert.deepEqual([first.device.active, second.device.active], [undefined, undefined]);
      assert.equal(store.bufferedBytes, 4 * 1016);
    });

    it('keeps the total when a held copy is replaced by one of another length', () => {
      const { transfer } = admitFrom('A');
      store.receive(transfer, 9, Buffer.alloc(300, 1));
      assert.equal(store.receive(transfer, 9, Buffer.alloc(100, 2)), 'conflict');
      assert.equal(store.replace(transfer, 9, Buffer.alloc(100, 2)), true);
      assert.deepEqual([store.bufferedBytes, transfer.bufferedBytes], [100, 100]);
    });

    it('ends a transfer freeing what it held', () => {
      const { device, transfer } = admitFrom('A');
      store.receive(transfer, 0, PAYLOAD);
      store.end(device, transfer);
      assert.deepEqual(
        [store.activeCount, store.bufferedBytes, device.active, transfer.bufferedBytes],
        [0, 0, undefined, 0],
      );
    });
  });

  describe('time', () => {
    it('puts an accepted transfer without data to sleep after ACCEPTED_TIMEOUT_MS, a receiving one after RECEIVING_TIMEOUT_MS', () => {
      const accepted = admitFrom('A', 'accepted');
      const receiving = admitFrom('B', 'receiving');
      store.receive(receiving.transfer, 0, PAYLOAD);
      clock.advance(limits.acceptedTimeoutMs - 1);
      assert.deepEqual(told, []);
      clock.advance(limits.sweepIntervalMs + 1);
      assert.deepEqual(told, ['dormant accepted']);
      assert.deepEqual([store.activeCount, store.dormantCount], [1, 1]);
      assert.equal(accepted.device.active, accepted.transfer, 'still its device’s');
      clock.advance(limits.receivingTimeoutMs - limits.acceptedTimeoutMs);
      assert.deepEqual(told, ['dormant accepted', 'dormant receiving']);
      assert.equal(receiving.transfer.receivedPackets, 1, 'a dormant transfer keeps its packets');
      assert.equal(store.bufferedBytes, 1016);
    });

    it('looks every min(1 s, ACCEPTED_TIMEOUT_MS / 4): a transfer goes dormant at most that late', () => {
      const sweeps: [number, number][] = [
        [15_000, 1000],
        [2000, 500],
      ];
      for (const [acceptedTimeoutMs, sweepIntervalMs] of sweeps) {
        const derived = transferLimitsFrom(validateEnvironment({ ACCEPTED_TIMEOUT_MS: acceptedTimeoutMs }));
        assert.equal(derived.sweepIntervalMs, sweepIntervalMs);
      }
      store.stop();
      storeWith({ acceptedTimeoutMs: 2000, sweepIntervalMs: 500 });
      // Accepted just after a look: the next ones find it idle 1999 ms, then 2499 ms.
      clock.advance(1);
      admitFrom('A', 'late');
      clock.advance(2000 + 500 - 2);
      assert.deepEqual(told, []);
      clock.advance(1);
      assert.deepEqual(told, ['dormant late']);
    });

    it('gives a dormant transfer up after DORMANT_TRANSFER_TTL_MS', () => {
      const { device, transfer } = admitFrom('A', 'quiet');
      store.receive(transfer, 0, PAYLOAD);
      clock.advance(limits.receivingTimeoutMs + limits.sweepIntervalMs);
      clock.advance(limits.dormantTransferTtlMs - limits.sweepIntervalMs - 1);
      assert.deepEqual(told, ['dormant quiet']);
      clock.advance(2 * limits.sweepIntervalMs);
      assert.deepEqual(told, ['dormant quiet', 'forgotten quiet']);
      assert.deepEqual([device.active, store.dormantCount, store.bufferedBytes], [undefined, 0, 0]);
    });

    it('wakes a dormant transfer when its device is back, and counts it in progress again', () => {
      const { device, transfer } = admitFrom('A');
      clock.advance(limits.acceptedTimeoutMs + limits.sweepIntervalMs);
      assert.equal(store.activeCount, 0);
      assert.equal(store.wake(device, transfer), true);
      assert.deepEqual([store.activeCount, store.dormantCount, transfer.dormantSince], [1, 0, undefined]);
      assert.equal(transfer.lastActivityAt, clock.now());
      assert.equal(store.wake(device, transfer), true, 'awake already');
    });

    it('cannot wake a dormant transfer while there is no room for it', () => {
      storeWith({ maxTransfersPerIp: 1 });
      const sleeper = admitFrom('A');
      clock.advance(limits.acceptedTimeoutMs + limits.sweepIntervalMs);
      admitFrom('A');
      assert.equal(store.wake(sleeper.device, sleeper.transfer), false);
      assert.notEqual(sleeper.transfer.dormantSince, undefined);
    });

    it('keeps at most MAX_TRANSFERS dormant transfers, forgetting the oldest', () => {
      for (let round = 0; round < 5; round++) {
        admitFrom(`10.0.0.${round}`, `sleeper${round}`);
        clock.advance(limits.acceptedTimeoutMs + limits.sweepIntervalMs);
      }
      assert.equal(store.dormantCount, 4);
      assert.deepEqual(
        told.filter((line) => line.startsWith('forgotten')),
        ['forgotten sleeper0'],
      );
    });

    it('restores a transfer dormant beyond the limit: held, not in progress', () => {
      const device = store.devices.getOrAdd('A', 1, 99, clock.now());
      const transfer = new Transfer(
        'restored',
        1,
        99,
        { address: 'A', port: 1 },
        PARAMETERS,
        clock.now(),
        'burst',
      );
      transfer.receive(0, PAYLOAD, clock.now());
      store.restoreDormant(device, transfer);
      assert.deepEqual([store.activeCount, store.dormantCount, store.bufferedBytes], [0, 1, 1016]);
      assert.equal(device.active, transfer);
    });

    it('remembers a stored image’s record for COMPLETED_RECORD_TTL_MS', () => {
      const device = store.devices.getOrAdd('A', 1, 99, clock.now());
      const record = { storedAt: clock.now(), flowMode: 'burst' } as CompletedTransfer;
      device.remember(record);
      clock.advance(limits.completedRecordTtlMs - 1);
      assert.equal(store.recordOf(device, clock.now()), record);
      clock.advance(1);
      assert.equal(store.recordOf(device, clock.now()), undefined);
      assert.equal(device.previous, undefined);
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PARAMETERS, PAYLOAD, TransferStoreFixture } from './testing/store-fixture.js';
import { Transfer } from './transfer.js';

describe('TransferStore: admission and memory', () => {
  const s = TransferStoreFixture.use();

  describe('admission', () => {
    it('admits up to MAX_TRANSFERS and makes each its device’s transfer in progress', () => {
      const admitted = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((address) =>
        s.admitFrom(address),
      );
      assert.deepEqual(
        admitted.map((each) => each.refusal),
        [undefined, undefined, undefined, undefined],
      );
      for (const { device, transfer } of admitted) assert.equal(device.active, transfer);
      assert.equal(s.store.activeCount, 4);
      assert.equal(s.store.deviceOf(admitted[2]!.transfer), admitted[2]!.device);
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
          s.admitFrom(address);
          s.clock.advance(10);
        }
        assert.equal(s.store.capacityRefusal(asker), refusal);
        const asked = s.admitFrom(asker, 'new');
        assert.equal(asked.refusal, refusal);
        assert.deepEqual(s.told, givesWay ? [`dormant ${givesWay}`] : []);
        assert.equal(s.store.activeCount, 4);
        assert.equal(s.store.dormantCount, givesWay ? 1 : 0);
      });
    }

    it('never makes an image being written give way', () => {
      const writing = s.admitFrom('A');
      for (let index = 0; index < 10; index++) s.store.receive(writing.transfer, index, PAYLOAD);
      writing.transfer.startStoring(s.clock.now());
      s.clock.advance(10);
      for (const address of ['A', 'A', 'B']) s.admitFrom(address);
      assert.equal(s.admitFrom('B').refusal, undefined);
      assert.equal(writing.transfer.dormantSince, undefined);
      assert.deepEqual(s.told, ['dormant t1']);
    });

    it('refuses a third transfer from one address at MAX_TRANSFERS_PER_IP 2, and takes another address’s', () => {
      s.storeWith({ maxTransfersPerIp: 2 });
      assert.deepEqual(
        [s.admitFrom('A').refusal, s.admitFrom('A').refusal, s.admitFrom('A').refusal],
        [undefined, undefined, 'transfers-per-ip'],
      );
      assert.equal(s.admitFrom('B').refusal, undefined);
    });
  });

  describe('memory', () => {
    it('keeps the total of what transfers hold, and refuses a new packet past MAX_REASSEMBLY_BYTES', () => {
      s.storeWith({ maxReassemblyBytes: 3 * 1016 });
      const { transfer } = s.admitFrom('A');
      assert.deepEqual(
        [0, 1, 2].map((index) => s.store.receive(transfer, index, PAYLOAD)),
        ['new', 'new', 'new'],
      );
      assert.equal(s.store.bufferedBytes, 3 * 1016);
      assert.equal(s.store.receive(transfer, 3, PAYLOAD), undefined, 'no memory for one more');
      assert.equal(s.store.receive(transfer, 1, PAYLOAD), 'duplicate', 'a copy of what is held needs none');
      assert.equal(s.store.capacityRefusal('B'), 'memory');
      assert.equal(s.admitFrom('B').refusal, 'memory');
      s.store.forgetPacket(transfer, 2);
      assert.equal(s.store.bufferedBytes, 2 * 1016);
    });

    it('gives the memory of dormant transfers up first, oldest first: for a new transfer, then for a packet', () => {
      s.storeWith({ maxReassemblyBytes: 4 * 1016 });
      const first = s.admitFrom('A', 'first');
      const second = s.admitFrom('B', 'second');
      for (const index of [0, 1, 2]) s.store.receive(first.transfer, index, PAYLOAD);
      s.store.receive(second.transfer, 0, PAYLOAD);
      s.clock.advance(s.limits.receivingTimeoutMs + s.limits.sweepIntervalMs);
      assert.deepEqual([s.store.dormantCount, s.store.bufferedBytes], [2, 4 * 1016]);
      const { transfer } = s.admitFrom('C');
      assert.deepEqual(s.forgotten(), ['forgotten first'], 'full: the oldest dormant transfer makes room');
      for (const index of [0, 1, 2]) assert.equal(s.store.receive(transfer, index, PAYLOAD), 'new');
      assert.deepEqual(s.forgotten(), ['forgotten first']);
      assert.equal(s.store.receive(transfer, 3, PAYLOAD), 'new');
      assert.deepEqual(s.forgotten(), ['forgotten first', 'forgotten second']);
      assert.deepEqual([first.device.active, second.device.active], [undefined, undefined]);
      assert.equal(s.store.bufferedBytes, 4 * 1016);
    });

    it('never gives a dormant transfer’s memory up for its own packet (restored at start-up): no room then', () => {
      s.storeWith({ maxReassemblyBytes: 3 * 1016 });
      const [older, newer] = ['older', 'newer'].map((id, port) => {
        const device = s.store.devices.getOrAdd('A', port, 99, s.clock.now());
        const transfer = new Transfer(id, 1, 99, { address: 'A', port }, PARAMETERS, s.clock.now(), 'burst');
        s.store.restoreDormant(device, transfer);
        return transfer;
      });
      s.store.receive(older!, 0, PAYLOAD);
      for (const index of [0, 1]) assert.equal(s.store.receive(newer!, index, PAYLOAD), 'new');
      assert.equal(s.store.receive(newer!, 2, PAYLOAD), 'new', 'the older dormant one gives way');
      assert.deepEqual(s.forgotten(), ['forgotten older']);
      assert.equal(s.store.receive(newer!, 3, PAYLOAD), undefined, 'not the one receiving');
      assert.deepEqual([s.forgotten().length, s.store.dormantCount, s.store.bufferedBytes], [1, 1, 3 * 1016]);
    });

    it('takes no packet for a transfer it no longer holds, and counts none of its bytes', () => {
      const { device, transfer } = s.admitFrom('A');
      s.store.receive(transfer, 0, PAYLOAD);
      s.store.end(device, transfer);
      assert.equal(s.store.receive(transfer, 1, PAYLOAD), undefined);
      assert.equal(s.store.replace(transfer, 0, Buffer.alloc(1016, 8)), false);
      assert.deepEqual([s.store.bufferedBytes, transfer.bufferedBytes], [0, 0]);
    });

    it('keeps the total when a held copy is replaced by one of another length', () => {
      const { transfer } = s.admitFrom('A');
      s.store.receive(transfer, 9, Buffer.alloc(300, 1));
      assert.equal(s.store.receive(transfer, 9, Buffer.alloc(100, 2)), 'conflict');
      assert.equal(s.store.replace(transfer, 9, Buffer.alloc(100, 2)), true);
      assert.deepEqual([s.store.bufferedBytes, transfer.bufferedBytes], [100, 100]);
    });

    it('ends a transfer freeing what it held', () => {
      const { device, transfer } = s.admitFrom('A');
      s.store.receive(transfer, 0, PAYLOAD);
      s.store.end(device, transfer);
      assert.deepEqual(
        [s.store.activeCount, s.store.bufferedBytes, device.active, transfer.bufferedBytes],
        [0, 0, undefined, 0],
      );
    });
  });
});

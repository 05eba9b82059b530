import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompletedTransfer } from '../common/transfer-model.js';
import { validateEnvironment } from '../config/index.js';
import { PARAMETERS, PAYLOAD, TransferStoreFixture } from './testing/store-fixture.js';
import { Transfer } from './transfer.js';
import { transferLimitsFrom } from './transfer-limits.js';

describe('TransferStore: what time does', () => {
  const s = TransferStoreFixture.use();

  it('puts an accepted transfer without data to sleep after ACCEPTED_TIMEOUT_MS, a receiving one after RECEIVING_TIMEOUT_MS', () => {
    const accepted = s.admitFrom('A', 'accepted');
    const receiving = s.admitFrom('B', 'receiving');
    s.store.receive(receiving.transfer, 0, PAYLOAD);
    s.clock.advance(s.limits.acceptedTimeoutMs - 1);
    assert.deepEqual(s.told, []);
    s.clock.advance(s.limits.sweepIntervalMs + 1);
    assert.deepEqual(s.told, ['dormant accepted']);
    assert.deepEqual([s.store.activeCount, s.store.dormantCount], [1, 1]);
    assert.equal(accepted.device.active, accepted.transfer, 'still its device’s');
    s.clock.advance(s.limits.receivingTimeoutMs - s.limits.acceptedTimeoutMs);
    assert.deepEqual(s.told, ['dormant accepted', 'dormant receiving']);
    assert.equal(receiving.transfer.receivedPackets, 1, 'a dormant transfer keeps its packets');
    assert.equal(s.store.bufferedBytes, 1016);
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
    s.storeWith({ acceptedTimeoutMs: 2000, sweepIntervalMs: 500 });
    // Accepted just after a look: the next ones find it idle 1999 ms, then 2499 ms.
    s.clock.advance(1);
    s.admitFrom('A', 'late');
    s.clock.advance(2000 + 500 - 2);
    assert.deepEqual(s.told, []);
    s.clock.advance(1);
    assert.deepEqual(s.told, ['dormant late']);
  });

  it('gives a dormant transfer up after DORMANT_TRANSFER_TTL_MS', () => {
    const { device, transfer } = s.admitFrom('A', 'quiet');
    s.store.receive(transfer, 0, PAYLOAD);
    s.clock.advance(s.limits.receivingTimeoutMs + s.limits.sweepIntervalMs);
    s.clock.advance(s.limits.dormantTransferTtlMs - s.limits.sweepIntervalMs - 1);
    assert.deepEqual(s.told, ['dormant quiet']);
    s.clock.advance(2 * s.limits.sweepIntervalMs);
    assert.deepEqual(s.told, ['dormant quiet', 'forgotten quiet']);
    assert.deepEqual([device.active, s.store.dormantCount, s.store.bufferedBytes], [undefined, 0, 0]);
  });

  it('wakes a dormant transfer when its device is back, and counts it in progress again', () => {
    const { device, transfer } = s.admitFrom('A');
    s.clock.advance(s.limits.acceptedTimeoutMs + s.limits.sweepIntervalMs);
    assert.equal(s.store.activeCount, 0);
    assert.equal(s.store.wake(device, transfer), true);
    assert.deepEqual([s.store.activeCount, s.store.dormantCount, transfer.dormantSince], [1, 0, undefined]);
    assert.equal(transfer.lastActivityAt, s.clock.now());
    assert.equal(s.store.wake(device, transfer), true, 'awake already');
  });

  it('cannot wake a dormant transfer while there is no room for it', () => {
    s.storeWith({ maxTransfersPerIp: 1 });
    const sleeper = s.admitFrom('A');
    s.clock.advance(s.limits.acceptedTimeoutMs + s.limits.sweepIntervalMs);
    s.admitFrom('A');
    assert.equal(s.store.wake(sleeper.device, sleeper.transfer), false);
    assert.notEqual(sleeper.transfer.dormantSince, undefined);
  });

  it('keeps at most MAX_TRANSFERS dormant transfers, forgetting the oldest', () => {
    for (let round = 0; round < 5; round++) {
      s.admitFrom(`10.0.0.${round}`, `sleeper${round}`);
      s.clock.advance(s.limits.acceptedTimeoutMs + s.limits.sweepIntervalMs);
    }
    assert.equal(s.store.dormantCount, 4);
    assert.deepEqual(s.forgotten(), ['forgotten sleeper0']);
  });

  it('restores a transfer dormant beyond the limit: held, not in progress', () => {
    const device = s.store.devices.getOrAdd('A', 1, 99, s.clock.now());
    const transfer = new Transfer(
      'restored',
      1,
      99,
      { address: 'A', port: 1 },
      PARAMETERS,
      s.clock.now(),
      'burst',
    );
    transfer.receive(0, PAYLOAD, s.clock.now());
    s.store.restoreDormant(device, transfer);
    assert.deepEqual([s.store.activeCount, s.store.dormantCount, s.store.bufferedBytes], [0, 1, 1016]);
    assert.equal(device.active, transfer);
  });

  it('remembers a stored image’s record for COMPLETED_RECORD_TTL_MS', () => {
    const device = s.store.devices.getOrAdd('A', 1, 99, s.clock.now());
    const record = { storedAt: s.clock.now(), flowMode: 'burst' } as CompletedTransfer;
    device.remember(record);
    s.clock.advance(s.limits.completedRecordTtlMs - 1);
    assert.equal(s.store.recordOf(device, s.clock.now()), record);
    s.clock.advance(1);
    assert.equal(s.store.recordOf(device, s.clock.now()), undefined);
    assert.equal(device.previous, undefined);
  });
});

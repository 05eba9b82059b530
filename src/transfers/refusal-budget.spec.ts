import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyStatus, type UploadRequest } from '#protocol';
import { FakeClock } from '../common/fake-clock.js';
import { RefusalBudget } from './refusal-budget.js';
import { TransferEvents } from './transfer-events.js';
import { TransferReplies } from './transfer-replies.js';
import { TransferStatistics } from './transfer-statistics.js';

/** How many of `count` refusals to `address` may be sent now. */
function allowed(budget: RefusalBudget, address: string, count: number): number {
  let sent = 0;
  for (let attempt = 0; attempt < count; attempt++) if (budget.take(address)) sent++;
  return sent;
}

describe('RefusalBudget', () => {
  it('answers a burst of twice REFUSALS_PER_SECOND, then nothing more', () => {
    const budget = new RefusalBudget(5, new FakeClock(), 100);
    assert.equal(allowed(budget, '10.0.0.1', 50), 10);
  });

  it('refills at REFUSALS_PER_SECOND, a token at a time', () => {
    const clock = new FakeClock();
    const budget = new RefusalBudget(5, clock, 100);
    allowed(budget, '10.0.0.1', 10);
    clock.advance(199);
    assert.equal(budget.take('10.0.0.1'), false);
    clock.advance(1);
    assert.equal(budget.take('10.0.0.1'), true);
    assert.equal(budget.take('10.0.0.1'), false);
    clock.advance(1000);
    assert.equal(allowed(budget, '10.0.0.1', 50), 5);
  });

  it('never holds more than the burst, however long the source was quiet', () => {
    const clock = new FakeClock();
    const budget = new RefusalBudget(5, clock, 100);
    allowed(budget, '10.0.0.1', 3);
    clock.advance(3_600_000);
    assert.equal(allowed(budget, '10.0.0.1', 50), 10);
  });

  it('keeps a budget per source address: one flooding source does not silence another', () => {
    const budget = new RefusalBudget(5, new FakeClock(), 100);
    allowed(budget, '10.0.0.1', 50);
    assert.equal(allowed(budget, '10.0.0.2', 50), 10);
  });

  it('tracks a bounded number of addresses, the least recently refused forgotten first', () => {
    const budget = new RefusalBudget(5, new FakeClock(), 2);
    allowed(budget, '10.0.0.1', 10);
    allowed(budget, '10.0.0.2', 10);
    assert.equal(budget.take('10.0.0.1'), false, 'remembered: spent');
    allowed(budget, '10.0.0.3', 1);
    assert.equal(allowed(budget, '10.0.0.2', 10), 10, 'forgotten, so afresh');
  });
});

describe('TransferReplies: refusals within the budget', () => {
  const request: UploadRequest = {
    kind: 'upload-request',
    deviceId: 99,
    packetCount: 0,
    maxPacketSize: 1024,
    imageSize: undefined,
  };

  it('sends refusals and NACKs from one budget per address, counting those it keeps silent by status', () => {
    const statistics = new TransferStatistics();
    const events = new TransferEvents();
    const refused: ReplyStatus[] = [];
    events.on('refused', (status) => refused.push(status));
    const replies = new TransferReplies(2, new FakeClock(), 100, statistics, events);
    const sent = [];
    for (let attempt = 0; attempt < 3; attempt++)
      sent.push(replies.refuse(request, ReplyStatus.BadParameters, '10.0.0.1'));
    const packet = {
      kind: 'data',
      deviceId: 99,
      index: 1,
      declaredLength: 0,
      payload: Buffer.alloc(0),
    } as const;
    for (let attempt = 0; attempt < 3; attempt++)
      sent.push(replies.nack(packet, ReplyStatus.NoSuchTransfer, '10.0.0.1'));
    assert.deepEqual(
      sent.map((reply) => reply && [...reply]),
      [
        [1, 99, 1, 3, 0, 0, 0, 4, 0],
        [1, 99, 1, 3, 0, 0, 0, 4, 0],
        [1, 99, 1, 3, 0, 0, 0, 4, 0],
        [1, 99, 2, 1, 4, 0, 0, 0, 0],
        undefined,
        undefined,
      ],
    );
    assert.deepEqual(statistics.suppressed, new Map([['NoSuchTransfer', 2]]));
    assert.equal(refused.length, 3, 'every refusal is logged and counted, answered or not');
    assert.deepEqual(
      [...replies.nack(packet, ReplyStatus.BadIndex, '10.0.0.2')!],
      [1, 99, 2, 1, 6, 0, 0, 0, 0],
    );
  });
});

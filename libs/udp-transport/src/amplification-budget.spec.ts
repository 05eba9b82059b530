import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AmplificationBudget } from './amplification-budget.js';

const WINDOW_MS = 1000;

function budgetWith(settings: { factor?: number; maxPeers?: number } = {}) {
  let now = 0;
  const budget = new AmplificationBudget({
    factor: settings.factor ?? 3,
    windowMs: WINDOW_MS,
    maxPeers: settings.maxPeers ?? 16,
    clock: () => now,
  });
  return { budget, advance: (ms: number) => (now += ms) };
}

describe('AmplificationBudget', () => {
  it('refuses to send anything to an address it never heard from', () => {
    const { budget } = budgetWith();
    assert.equal(budget.tryDebit('192.0.2.7', 1), false);
    assert.equal(budget.remaining('192.0.2.7'), 0);
  });

  it('allows exactly factor × the bytes received, then refuses', () => {
    const { budget } = budgetWith();
    budget.credit('192.0.2.7', 3);
    assert.equal(budget.tryDebit('192.0.2.7', 10), false, '10 > 3 × 3');
    assert.equal(budget.tryDebit('192.0.2.7', 9), true);
    assert.equal(budget.tryDebit('192.0.2.7', 1), false);
  });

  it('charges nothing for a refused send', () => {
    const { budget } = budgetWith();
    budget.credit('192.0.2.7', 10);
    assert.equal(budget.tryDebit('192.0.2.7', 100), false);
    assert.equal(budget.remaining('192.0.2.7'), 30);
  });

  it('keeps the budgets of different addresses apart', () => {
    const { budget } = budgetWith();
    budget.credit('192.0.2.7', 10);
    assert.equal(budget.tryDebit('192.0.2.8', 1), false);
    assert.equal(budget.remaining('192.0.2.7'), 30);
  });

  it('remembers received bytes through the next window and forgets them after', () => {
    const { budget, advance } = budgetWith();
    budget.credit('192.0.2.7', 10);
    advance(WINDOW_MS);
    assert.equal(budget.remaining('192.0.2.7'), 30, 'previous window still counts');
    advance(WINDOW_MS);
    assert.equal(budget.remaining('192.0.2.7'), 0, 'two windows on, forgotten');
  });

  it('charges sends made in the next window against the same received bytes', () => {
    const { budget, advance } = budgetWith();
    budget.credit('192.0.2.7', 10);
    assert.equal(budget.tryDebit('192.0.2.7', 20), true);
    advance(WINDOW_MS);
    assert.equal(budget.remaining('192.0.2.7'), 10);
    assert.equal(budget.tryDebit('192.0.2.7', 11), false);
  });

  it('accepts a fractional factor', () => {
    const { budget } = budgetWith({ factor: 0.5 });
    budget.credit('192.0.2.7', 9);
    assert.equal(budget.tryDebit('192.0.2.7', 5), false);
    assert.equal(budget.tryDebit('192.0.2.7', 4), true);
  });

  it('remembers at most maxPeers addresses, forgetting the least recently heard', () => {
    const { budget } = budgetWith({ maxPeers: 2 });
    budget.credit('192.0.2.1', 10);
    budget.credit('192.0.2.2', 10);
    budget.credit('192.0.2.1', 1);
    budget.credit('192.0.2.3', 10);
    assert.equal(budget.size, 2);
    assert.equal(budget.remaining('192.0.2.2'), 0, 'least recently credited, evicted');
    assert.equal(budget.remaining('192.0.2.1'), 33);
    assert.equal(budget.remaining('192.0.2.3'), 30, 'starts from zero, not from the evicted ledger');
  });

  it('forgets everything on clear', () => {
    const { budget } = budgetWith();
    budget.credit('192.0.2.7', 10);
    budget.clear();
    assert.equal(budget.size, 0);
    assert.equal(budget.tryDebit('192.0.2.7', 1), false);
  });

  it('never lets the total sent to an address exceed factor × the total received from it', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('credit' as const), bytes: fc.integer({ min: 0, max: 1500 }) }),
      fc.record({ kind: fc.constant('debit' as const), bytes: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3 * WINDOW_MS }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), fc.integer({ min: 1, max: 5 }), (steps, factor) => {
        const { budget, advance } = budgetWith({ factor });
        let received = 0;
        let sent = 0;
        for (const each of steps) {
          if (each.kind === 'credit') {
            budget.credit('192.0.2.7', each.bytes);
            received += each.bytes;
          } else if (each.kind === 'debit') {
            if (budget.tryDebit('192.0.2.7', each.bytes)) sent += each.bytes;
          } else {
            advance(each.ms);
          }
          assert.ok(sent <= factor * received, `sent ${sent} > ${factor} × ${received}`);
        }
      }),
    );
  });
});

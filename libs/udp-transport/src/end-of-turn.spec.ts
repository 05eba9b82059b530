import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { EndOfTurn } from './end-of-turn.js';

/** Lets one check phase pass: a turn opened before it has ended. */
function checkPhasePasses(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('EndOfTurn', () => {
  let turn: EndOfTurn;
  let steps: string[];

  beforeEach(() => {
    turn = new EndOfTurn();
    steps = [];
    turn.onPersist(() => steps.push('persist'));
    turn.onRelease(() => steps.push('release'));
  });

  it('ends a turn with its deferred decisions, then persistence, then release', async () => {
    turn.touch();
    turn.defer(() => steps.push('decide'));
    assert.deepEqual(steps, [], 'nothing before the end of the turn');
    await checkPhasePasses();
    assert.deepEqual(steps, ['decide', 'persist', 'release']);
  });

  it('runs every persister before any releaser, each in the order registered', async () => {
    turn.onPersist(() => steps.push('persist 2'));
    turn.onRelease(() => steps.push('release 2'));
    turn.touch();
    await checkPhasePasses();
    assert.deepEqual(steps, ['persist', 'persist 2', 'release', 'release 2']);
  });

  it('schedules one end (one setImmediate) per turn, however often it is touched, and a new one after', async () => {
    assert.equal(turn.open, false);
    const original = globalThis.setImmediate;
    let scheduled = 0;
    globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
      scheduled++;
      return original(...args);
    }) as typeof setImmediate;
    try {
      for (let datagram = 0; datagram < 100; datagram++) turn.touch();
    } finally {
      globalThis.setImmediate = original;
    }
    assert.equal(scheduled, 1);
    assert.equal(turn.open, true);
    await checkPhasePasses();
    await checkPhasePasses();
    assert.deepEqual(steps, ['persist', 'release']);
    assert.equal(turn.open, false);
    turn.touch();
    await checkPhasePasses();
    assert.deepEqual(steps, ['persist', 'release', 'persist', 'release']);
  });

  it('does nothing at the end of the loop iteration when no turn was opened', async () => {
    await checkPhasePasses();
    assert.deepEqual(steps, []);
  });

  it('opens a turn for a deferred decision, and runs it once', async () => {
    let runs = 0;
    turn.defer(() => runs++);
    assert.equal(turn.open, true);
    await checkPhasePasses();
    turn.touch();
    await checkPhasePasses();
    assert.equal(runs, 1);
    assert.deepEqual(steps, ['persist', 'release', 'persist', 'release']);
  });

  it('keeps what a decision adds in the same turn: another decision, a record, a reply', async () => {
    const records: string[] = [];
    const replies: string[] = [];
    const persisted: string[][] = [];
    const released: string[][] = [];
    turn.onPersist(() => persisted.push(records.splice(0)));
    turn.onRelease(() => released.push(replies.splice(0)));
    turn.defer(() => {
      records.push('flow mode');
      turn.touch();
      turn.defer(() => replies.push('ACK held by the probe'));
    });
    await checkPhasePasses();
    assert.deepEqual(persisted, [['flow mode']]);
    assert.deepEqual(released, [['ACK held by the probe']]);
    assert.equal(turn.open, false);
    await checkPhasePasses();
    assert.equal(persisted.length, 1, 'no second turn for what the decisions touched');
  });

  it('flush ends the open turn at once, and the scheduled end then finds nothing to do', async () => {
    turn.touch();
    turn.defer(() => steps.push('decide'));
    turn.flush();
    assert.deepEqual(steps, ['decide', 'persist', 'release']);
    assert.equal(turn.open, false);
    await checkPhasePasses();
    assert.deepEqual(steps, ['decide', 'persist', 'release']);
  });

  it('flush does nothing when no turn is open', () => {
    turn.flush();
    assert.deepEqual(steps, []);
  });

  it('ends the turn in the check phase, after the microtasks of the iteration', async () => {
    turn.touch();
    await Promise.resolve();
    process.nextTick(() => steps.push('next tick'));
    await new Promise((resolve) => process.nextTick(resolve));
    assert.equal(turn.open, true, 'still open after the microtasks');
    await checkPhasePasses();
    assert.deepEqual(steps, ['next tick', 'persist', 'release']);
  });
});

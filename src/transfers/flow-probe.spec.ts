import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EndOfTurn } from '#udp-transport';
import { FakeClock } from '../common/fake-clock.js';
import { FlowProbe, type DecidedMode } from './flow-probe.js';
import { turnsPass } from './testing/uploads.js';

describe('FlowProbe', () => {
  it('decides once: a later decision changes nothing', async () => {
    const clock = new FakeClock();
    const decisions: DecidedMode[] = [];
    const probe = new FlowProbe(
      clock,
      40,
      () => Promise.resolve(0),
      new EndOfTurn(),
      (mode) => decisions.push(mode),
    );
    probe.decide('burst');
    probe.decide('stop-and-wait');
    clock.advance(100);
    await turnsPass();
    assert.equal(await probe.decided, 'burst');
    assert.deepEqual(decisions, ['burst']);
    assert.equal(probe.isSettled, true);
  });
});

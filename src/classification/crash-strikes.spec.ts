import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrashStrikes, STRIKES_TO_GIVE_UP } from './crash-strikes.js';

describe('CrashStrikes', () => {
  it('gives up an image that was in progress at two deaths of the process, not one that was there once', () => {
    const strikes = new CrashStrikes();
    strikes.inProgress(['a.json', 'b.json']);
    assert.equal(strikes.crashed(), 2);
    strikes.inProgress(['a.json']);
    assert.equal(strikes.crashed(), 1);
    assert.equal(STRIKES_TO_GIVE_UP, 2);
    assert.equal(strikes.isGivenUp('a.json'), true);
    assert.equal(strikes.isGivenUp('b.json'), false);
    assert.deepEqual(strikes.givenUp(), [
      { sidecarPath: 'a.json', message: 'the classifier process died 2 times while analysing this image' },
    ]);
  });

  it('clears an image once its analysis is recorded, and counts nothing for a death with nothing in progress', () => {
    const strikes = new CrashStrikes();
    strikes.inProgress(['a.json']);
    strikes.crashed();
    strikes.inProgress(['a.json']);
    strikes.done('a.json');
    assert.equal(strikes.crashed(), 0);
    assert.equal(strikes.isGivenUp('a.json'), false);
    assert.deepEqual(strikes.givenUp(), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveEvents, type LiveEvent } from './live-events.js';

describe('LiveEvents: the stream every part of the gateway publishes to', () => {
  it('encodes each event once as a Server-Sent Events frame for every listener', () => {
    const live = new LiveEvents();
    const got: LiveEvent[][] = [[], []];
    const subscriptions = got.map((list) => live.subscribe((event) => list.push(event)));
    live.publish('image.stored', { imageId: 'a' });
    assert.equal(got[0]![0], got[1]![0]);
    assert.match(got[0]![0]!.frame, /^id: \w+-1\nevent: image\.stored\ndata: \{"imageId":"a"\}\n\n$/);
    for (const subscription of subscriptions) subscription.unsubscribe();
    assert.equal(live.clients, 0);
  });

  it('replays what a reconnecting client missed, and says when it cannot', () => {
    const live = new LiveEvents();
    live.publish('a', 1);
    const seen = live.lastId;
    live.publish('b', 2);
    live.publish('c', 3);
    const back = live.subscribe(() => undefined, seen);
    assert.deepEqual(
      back.missed.map((event) => event.type),
      ['b', 'c'],
    );
    assert.equal(back.complete, true);
    assert.equal(live.subscribe(() => undefined, 'otherprocess-5').complete, false);
    for (let n = 0; n < 600; n++) live.publish('x', n);
    assert.equal(live.subscribe(() => undefined, seen).complete, false);
  });
});

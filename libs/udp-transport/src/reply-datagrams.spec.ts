import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDatagram, isDatagramList } from './reply-datagrams.js';

describe('reply datagrams', () => {
  it('takes a Buffer or a Uint8Array as one datagram', () => {
    assert.equal(isDatagram(Buffer.from([1])), true);
    assert.equal(isDatagram(new Uint8Array([1])), true);
    assert.equal(isDatagram('text'), false);
    assert.equal(isDatagram([1, 2]), false);
  });

  it('takes an array of them, empty included, as a list', () => {
    assert.equal(isDatagramList([Buffer.from([1]), new Uint8Array([2])]), true);
    assert.equal(isDatagramList([]), true);
    assert.equal(isDatagramList([Buffer.from([1]), 'text']), false);
    assert.equal(isDatagramList(Buffer.from([1])), false);
  });
});

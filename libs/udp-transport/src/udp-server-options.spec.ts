import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UdpOptionsError } from './errors/udp-options.error.js';
import { PipeDecoder } from './testing/pipe-decoder.js';
import { resolveUdpServerOptions, UDP_SERVER_DEFAULTS, type UdpServerOptions } from './udp-server-options.js';

const decoder = new PipeDecoder();

function rejectionOf(options: Partial<UdpServerOptions>): string {
  try {
    resolveUdpServerOptions({ port: 0, decoder, ...options } as UdpServerOptions);
  } catch (error) {
    assert.ok(error instanceof UdpOptionsError);
    return error.option;
  }
  assert.fail('expected a UdpOptionsError');
}

describe('resolveUdpServerOptions', () => {
  it('fills in the documented defaults and freezes the result', () => {
    const resolved = resolveUdpServerOptions({ port: 44444, decoder });
    assert.equal(resolved.host, '0.0.0.0');
    assert.equal(resolved.amplificationFactor, 3);
    assert.equal(resolved.amplificationWindowMs, UDP_SERVER_DEFAULTS.amplificationWindowMs);
    assert.equal(resolved.maxTrackedPeers, UDP_SERVER_DEFAULTS.maxTrackedPeers);
    assert.equal(resolved.reuseAddr, false);
    assert.equal(resolved.bindEachAddress, false);
    assert.equal(resolved.socketType, 'udp4');
    assert.ok(Object.isFrozen(resolved));
  });

  it('selects an IPv6 socket for a host with a colon', () => {
    assert.equal(resolveUdpServerOptions({ host: '::1', port: 0, decoder }).socketType, 'udp6');
  });

  it('forces reuseAddr on with bindEachAddress', () => {
    assert.equal(resolveUdpServerOptions({ port: 0, decoder, bindEachAddress: true }).reuseAddr, true);
  });

  it('names the option it refuses', () => {
    assert.equal(rejectionOf({ decoder: undefined }), 'decoder');
    assert.equal(rejectionOf({ decoder: {} as PipeDecoder }), 'decoder');
    assert.equal(rejectionOf({ port: -1 }), 'port');
    assert.equal(rejectionOf({ port: 65536 }), 'port');
    assert.equal(rejectionOf({ port: 1.5 }), 'port');
    assert.equal(rejectionOf({ host: '' }), 'host');
    assert.equal(rejectionOf({ amplificationFactor: 0 }), 'amplificationFactor');
    assert.equal(rejectionOf({ amplificationFactor: Number.POSITIVE_INFINITY }), 'amplificationFactor');
    assert.equal(rejectionOf({ amplificationFactor: Number.NaN }), 'amplificationFactor');
    assert.equal(rejectionOf({ amplificationWindowMs: 0 }), 'amplificationWindowMs');
    assert.equal(rejectionOf({ maxTrackedPeers: 0 }), 'maxTrackedPeers');
    assert.equal(rejectionOf({ receiveBufferSize: -5 }), 'receiveBufferSize');
    assert.equal(rejectionOf({ sendBufferSize: 2.5 }), 'sendBufferSize');
    assert.equal(rejectionOf({ bindEachAddress: true, host: '127.0.0.1' }), 'bindEachAddress');
  });
});

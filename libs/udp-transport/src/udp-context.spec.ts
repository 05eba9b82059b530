import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BaseRpcContext } from '@nestjs/microservices';
import { UdpContext } from './udp-context.js';

describe('UdpContext', () => {
  const datagram = Buffer.from([1, 99, 1, 4]);

  it('exposes the datagram, its source, the local address and the pattern', () => {
    const context = new UdpContext([
      datagram,
      { address: '192.0.2.7', port: 44444, family: 'IPv4', size: 4 },
      'upload-request',
      '192.0.2.2',
    ]);
    assert.ok(context instanceof BaseRpcContext);
    assert.equal(context.datagram, datagram);
    assert.equal(context.remoteAddress, '192.0.2.7');
    assert.equal(context.remotePort, 44444);
    assert.equal(context.family, 'IPv4');
    assert.equal(context.localAddress, '192.0.2.2');
    assert.equal(context.pattern, 'upload-request');
    assert.equal(context.remoteKey, '192.0.2.7:44444');
    assert.equal(context.getArgByIndex(2), 'upload-request');
  });

  it('brackets an IPv6 address in its remote key and may not know the local address', () => {
    const context = new UdpContext([
      datagram,
      { address: '2001:db8::7', port: 5000, family: 'IPv6', size: 4 },
      'ping',
      undefined,
    ]);
    assert.equal(context.remoteKey, '[2001:db8::7]:5000');
    assert.equal(context.localAddress, undefined);
  });

  it('reads the reply budget of its source from the server, unlimited when none is given', () => {
    const asked: string[] = [];
    const context = new UdpContext([
      datagram,
      { address: '192.0.2.7', port: 44444, family: 'IPv4', size: 4 },
      'end-of-transfer',
      undefined,
      (address) => (asked.push(address), 36),
    ]);
    assert.equal(context.replyBudget, 36);
    assert.deepEqual(asked, ['192.0.2.7']);
    const unlimited = new UdpContext([
      datagram,
      { address: '192.0.2.8', port: 1, family: 'IPv4', size: 4 },
      'ping',
      undefined,
    ]);
    assert.equal(unlimited.replyBudget, Number.POSITIVE_INFINITY);
  });
});

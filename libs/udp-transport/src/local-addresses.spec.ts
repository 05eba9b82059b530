import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetworkInterfaceInfo } from 'node:os';
import { isWildcardAddress, localIPv4Addresses } from './local-addresses.js';

function entry(address: string, family: 'IPv4' | 'IPv6'): NetworkInterfaceInfo {
  const common = { address, netmask: '', mac: '00:00:00:00:00:00', internal: false, cidr: null };
  return family === 'IPv4' ? { ...common, family } : { ...common, family, scopeid: 0 };
}

describe('localIPv4Addresses', () => {
  it('lists each IPv4 address once, loopback included, IPv6 left out', () => {
    const addresses = localIPv4Addresses({
      lo: [entry('127.0.0.1', 'IPv4'), entry('::1', 'IPv6')],
      eth0: [entry('192.0.2.2', 'IPv4'), entry('fd00::2', 'IPv6')],
      eth0_alias: [entry('192.0.2.2', 'IPv4'), entry('198.51.100.9', 'IPv4')],
      down: undefined,
    });
    assert.deepEqual(addresses, ['127.0.0.1', '192.0.2.2', '198.51.100.9']);
  });

  it('reads the host interfaces by default', () => {
    assert.ok(localIPv4Addresses().includes('127.0.0.1'));
  });
});

describe('isWildcardAddress', () => {
  it('recognises the IPv4 and IPv6 wildcards only', () => {
    assert.equal(isWildcardAddress('0.0.0.0'), true);
    assert.equal(isWildcardAddress('::'), true);
    assert.equal(isWildcardAddress('127.0.0.1'), false);
  });
});

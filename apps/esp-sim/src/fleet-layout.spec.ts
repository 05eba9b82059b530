import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRMWARE } from '#camera-emulator';
import { bindAddressFor, layOutFleet } from './fleet-layout.js';
import { parseSimArgs, type SimOptions } from './sim-options.js';

function options(argv: string[]): SimOptions {
  return (parseSimArgs(argv) as { options: SimOptions }).options;
}

describe('bindAddressFor', () => {
  it('auto on a loopback target: each device its own 127.1.x.y address', () => {
    assert.deepEqual(
      [0, 1, 249, 250, 9999].map((index) => bindAddressFor('auto', '127.0.0.1', index)),
      ['127.1.1.1', '127.1.1.2', '127.1.1.250', '127.1.2.1', '127.1.40.250'],
    );
  });

  it('auto elsewhere: the wildcard address of the target family; an explicit address as given', () => {
    assert.equal(bindAddressFor('auto', '192.168.1.10', 3), '0.0.0.0');
    assert.equal(bindAddressFor('auto', '::1', 3), '::1');
    assert.equal(bindAddressFor('auto', 'fe80::1', 3), '::');
    assert.equal(bindAddressFor('10.0.0.7', '192.168.1.10', 3), '10.0.0.7');
  });
});

describe('layOutFleet', () => {
  it('gives builds in turn, ids 0, 1, 2, … and one seeded link per device', () => {
    const devices = layOutFleet(
      options(['--devices', '4', '--generation', 'A,B', '--loss', '0.1']),
      '127.0.0.1',
    );
    assert.deepEqual(
      devices.map((device) => [device.firmware, device.deviceId, device.bindAddress]),
      [
        [FIRMWARE.A_WIFI, 0, '127.1.1.1'],
        [FIRMWARE.B, 1, '127.1.1.2'],
        [FIRMWARE.A_WIFI, 2, '127.1.1.3'],
        [FIRMWARE.B, 3, '127.1.1.4'],
      ],
    );
    assert.equal(new Set(devices.map((device) => device.link?.seed)).size, 4);
  });

  it('--same-id: every device carries the factory id 99', () => {
    const devices = layOutFleet(options(['--devices', '3', '--same-id']), '127.0.0.1');
    assert.deepEqual(
      devices.map((device) => device.deviceId),
      [99, 99, 99],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assertFrame, assertRejected, bytes, plausibleDatagram, REASONS } from './decode-assertions.js';
import { decodeDeviceFrame } from './decode.js';
import type { DeviceFrame, RejectionReason } from './frames.js';
import { MAX_UDP_PAYLOAD_BYTES } from './limits.js';

describe('decodeDeviceFrame', () => {
  const accepted: ReadonlyArray<[string, Buffer, DeviceFrame]> = [
    ['a ping', Buffer.from([0, 99, 0]), { kind: 'ping', deviceId: 99 }],
    [
      'a ping from a newer peer, ignoring its extra bytes',
      Buffer.from([0, 7, 0, 2, 1]),
      { kind: 'ping', deviceId: 7 },
    ],
    [
      'a bare confirmation',
      Buffer.from([1, 99, 0]),
      { kind: 'confirm', deviceId: 99, confirmedOp: undefined },
    ],
    ['a confirmation of op 4', Buffer.from([1, 99, 0, 4]), { kind: 'confirm', deviceId: 99, confirmedOp: 4 }],
    [
      'a generation A Ethernet upload request (N = 255, P = 1460, no S)',
      Buffer.from([1, 99, 1, 255, 0, 0, 5, 180]),
      { kind: 'upload-request', deviceId: 99, packetCount: 255, maxPacketSize: 1460, imageSize: undefined },
    ],
    [
      'a generation A WiFi upload request (P = 1024)',
      Buffer.from([1, 12, 1, 30, 0, 0, 4, 0]),
      { kind: 'upload-request', deviceId: 12, packetCount: 30, maxPacketSize: 1024, imageSize: undefined },
    ],
    [
      'an upload request with N = 0, left for the transfer layer to refuse',
      Buffer.from([1, 99, 1, 0, 0, 0, 5, 180]),
      { kind: 'upload-request', deviceId: 99, packetCount: 0, maxPacketSize: 1460, imageSize: undefined },
    ],
    [
      'an upload request with a 3-byte S',
      Buffer.from([1, 99, 1, 101, 0, 0, 5, 180, 0x02, 0x3a, 0x54]),
      {
        kind: 'upload-request',
        deviceId: 99,
        packetCount: 101,
        maxPacketSize: 1460,
        imageSize: { value: 146_004, width: 3 },
      },
    ],
    [
      'an upload request with a zero-padded 8-byte S',
      Buffer.from([1, 99, 1, 1, 0, 0, 5, 180, 0, 0, 0, 0, 0, 0, 0, 5]),
      {
        kind: 'upload-request',
        deviceId: 99,
        packetCount: 1,
        maxPacketSize: 1460,
        imageSize: { value: 5, width: 8 },
      },
    ],
    [
      'an upload request whose 8-byte S is 2^53 - 1',
      Buffer.from([1, 99, 1, 1, 0, 0, 5, 180, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      {
        kind: 'upload-request',
        deviceId: 99,
        packetCount: 1,
        maxPacketSize: 1460,
        imageSize: { value: Number.MAX_SAFE_INTEGER, width: 8 },
      },
    ],
    [
      'an upload request with P = 2^32 - 1',
      Buffer.from([1, 99, 1, 9, 0xff, 0xff, 0xff, 0xff]),
      {
        kind: 'upload-request',
        deviceId: 99,
        packetCount: 9,
        maxPacketSize: 0xffff_ffff,
        imageSize: undefined,
      },
    ],
    [
      'a data packet',
      Buffer.from([1, 99, 2, 0, 0, 0, 0, 3, 0xff, 0xd8, 0xff]),
      { kind: 'data', deviceId: 99, index: 0, declaredLength: 3, payload: Buffer.from([0xff, 0xd8, 0xff]) },
    ],
    [
      'a data packet whose L disagrees with its payload, left for the transfer layer to NACK',
      Buffer.from([1, 99, 2, 4, 0, 0, 5, 172, 1, 2]),
      { kind: 'data', deviceId: 99, index: 4, declaredLength: 1452, payload: Buffer.from([1, 2]) },
    ],
    [
      'a data packet with an empty payload',
      Buffer.from([1, 99, 2, 254, 0, 0, 0, 0]),
      { kind: 'data', deviceId: 99, index: 254, declaredLength: 0, payload: Buffer.alloc(0) },
    ],
    [
      'an end of transfer',
      Buffer.from([1, 99, 3, 42]),
      { kind: 'end-of-transfer', deviceId: 99, packetCount: 42 },
    ],
    [
      "generation C's end of transfer with the image's CRC-32",
      Buffer.from([1, 99, 3, 42, 0xcb, 0xf4, 0x39, 0x26]),
      { kind: 'end-of-transfer', deviceId: 99, packetCount: 42, checksum: 0xcbf4_3926 },
    ],
    [
      'an end of transfer whose CRC is 0',
      Buffer.from([1, 7, 3, 255, 0, 0, 0, 0]),
      { kind: 'end-of-transfer', deviceId: 7, packetCount: 255, checksum: 0 },
    ],
  ];
  for (const [name, datagram, frame] of accepted) {
    it(`decodes ${name}`, () => assertFrame(decodeDeviceFrame(datagram), frame));
  }

  const rejected: ReadonlyArray<[string, Buffer, RejectionReason]> = [
    ['an empty datagram', Buffer.alloc(0), 'too-short'],
    ['a 1-byte datagram', Buffer.from([1]), 'too-short'],
    ['a 2-byte datagram', Buffer.from([1, 99]), 'too-short'],
    ['a datagram larger than any UDP payload', bytes([1, 99, 2], MAX_UDP_PAYLOAD_BYTES + 1), 'too-long'],
    ['client type 2', Buffer.from([2, 99, 0]), 'unknown-client-type'],
    ['client type 255', Buffer.from([255, 99, 1, 1, 0, 0, 5, 180]), 'unknown-client-type'],
    ['a special op other than ping', Buffer.from([0, 99, 1]), 'unknown-op'],
    ['op 4, which only the server sends', Buffer.from([1, 99, 4, 0]), 'unknown-op'],
    ['an undefined op', Buffer.from([1, 99, 200, 0]), 'unknown-op'],
    ['a 5-byte confirmation', Buffer.from([1, 99, 0, 4, 0]), 'too-long'],
    ['a 7-byte upload request', Buffer.from([1, 99, 1, 255, 0, 0, 5]), 'too-short'],
    ['a 17-byte upload request (9-byte S)', bytes([1, 99, 1, 255, 0, 0, 5, 180], 17), 'too-long'],
    [
      'an upload request whose S is 2^53',
      Buffer.from([1, 99, 1, 1, 0, 0, 5, 180, 0x00, 0x20, 0, 0, 0, 0, 0, 0]),
      'field-out-of-range',
    ],
    [
      'an upload request whose 8-byte S is all ones',
      bytes([1, 99, 1, 1, 0, 0, 5, 180], 16, 0xff),
      'field-out-of-range',
    ],
    ['a data packet cut inside its length field', Buffer.from([1, 99, 2, 0, 0, 0, 5]), 'too-short'],
    ['a 3-byte end of transfer', Buffer.from([1, 99, 3]), 'too-short'],
    ['a 5-byte end of transfer', Buffer.from([1, 99, 3, 5, 0]), 'too-long'],
    ['a 7-byte end of transfer (a CRC cut short)', Buffer.from([1, 99, 3, 5, 0xcb, 0xf4, 0x39]), 'too-long'],
    ['a 9-byte end of transfer', Buffer.from([1, 99, 3, 5, 0xcb, 0xf4, 0x39, 0x26, 0]), 'too-long'],
  ];
  for (const [name, datagram, reason] of rejected) {
    it(`rejects ${name} as ${reason}`, () => assertRejected(decodeDeviceFrame(datagram), reason));
  }

  it('returns the payload as a view on the datagram, not a copy', () => {
    const datagram = Buffer.from([1, 99, 2, 0, 0, 0, 0, 2, 10, 20]);
    const decoded = decodeDeviceFrame(datagram);
    assert.ok(decoded.ok && decoded.frame.kind === 'data');
    datagram[9] = 21;
    assert.deepEqual([...decoded.frame.payload], [10, 21]);
  });

  it('never throws, and either decodes or names a known reason, on any datagram up to 2048 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (raw) => {
        const decoded = decodeDeviceFrame(Buffer.from(raw));
        assert.ok(decoded.ok || REASONS.includes(decoded.reason));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on datagrams that start with a plausible header', () => {
    fc.assert(
      fc.property(plausibleDatagram(), (datagram) => {
        const decoded = decodeDeviceFrame(datagram);
        assert.ok(decoded.ok || REASONS.includes(decoded.reason));
      }),
      { numRuns: 2000 },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AnalysisStatus, NO_CLASS, ReplyStatus, Verdict } from './codes.js';
import { decodeDeviceFrame, decodeServerFrame } from './decode.js';
import type { Decoded, DeviceFrame, RejectionReason, ServerFrame } from './frames.js';
import { MAX_REPLY_BYTES, MAX_UDP_PAYLOAD_BYTES } from './limits.js';

const REASONS: readonly RejectionReason[] = [
  'too-short',
  'too-long',
  'unknown-client-type',
  'unknown-op',
  'field-out-of-range',
];

/** Asserts the datagram decoded to exactly `frame`. */
function assertFrame<TFrame>(decoded: Decoded<TFrame>, frame: TFrame): void {
  assert.deepEqual(decoded, { ok: true, frame });
}

/** Asserts the datagram was rejected for `reason`, with a detail for the logs. */
function assertRejected<TFrame>(decoded: Decoded<TFrame>, reason: RejectionReason): void {
  assert.equal(decoded.ok, false, `expected a rejection, got ${JSON.stringify(decoded)}`);
  if (decoded.ok) return;
  assert.equal(decoded.reason, reason, decoded.detail);
  assert.ok(decoded.detail.length > 0);
}

/** A `total`-byte datagram: `prefix`, then `fill` bytes. */
function bytes(prefix: readonly number[], total: number, fill = 0): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.alloc(total - prefix.length, fill)]);
}

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

describe('decodeServerFrame', () => {
  const accepted: ReadonlyArray<[string, Buffer, ServerFrame]> = [
    [
      'a ping reply',
      Buffer.from([0, 99, 0, 1, 3]),
      { kind: 'ping-reply', deviceId: 99, protocolVersion: 1, flags: 3 },
    ],
    [
      'a ping reply from a newer server, ignoring its extra bytes',
      Buffer.from([0, 99, 0, 2, 1, 9, 9]),
      { kind: 'ping-reply', deviceId: 99, protocolVersion: 2, flags: 1 },
    ],
    [
      'an accepting upload reply',
      Buffer.from([1, 99, 1, 0, 255, 0, 0, 5, 180]),
      { kind: 'upload-reply', deviceId: 99, status: ReplyStatus.Ok, packetCount: 255, maxPacketSize: 1460 },
    ],
    [
      'a refusing upload reply',
      Buffer.from([1, 99, 1, 2, 255, 0, 0, 5, 180]),
      {
        kind: 'upload-reply',
        deviceId: 99,
        status: ReplyStatus.TooLarge,
        packetCount: 255,
        maxPacketSize: 1460,
      },
    ],
    [
      'a data ACK',
      Buffer.from([1, 99, 2, 3, 0, 0, 0, 5, 172]),
      { kind: 'data-reply', deviceId: 99, index: 3, status: ReplyStatus.Ok, length: 1452 },
    ],
    [
      'a data NACK',
      Buffer.from([1, 99, 2, 3, 5, 0, 0, 0, 2]),
      { kind: 'data-reply', deviceId: 99, index: 3, status: ReplyStatus.BadLength, length: 2 },
    ],
    [
      'an empty missing report',
      Buffer.from([1, 99, 3, 0]),
      { kind: 'missing-report', deviceId: 99, missing: [] },
    ],
    [
      'a missing report of three indices',
      Buffer.from([1, 99, 3, 3, 4, 9, 200]),
      { kind: 'missing-report', deviceId: 99, missing: [4, 9, 200] },
    ],
    [
      'a full missing report of 28 indices (32 bytes)',
      Buffer.from([1, 99, 3, 28, ...Array.from({ length: 28 }, (_, i) => i * 9)]),
      { kind: 'missing-report', deviceId: 99, missing: Array.from({ length: 28 }, (_, i) => i * 9) },
    ],
    [
      'a checksum reply saying stored and verified (k = 0, the CRC echoed)',
      Buffer.from([1, 99, 3, 0, 0xcb, 0xf4, 0x39, 0x26]),
      { kind: 'missing-report', deviceId: 99, missing: [], checksum: 0xcbf4_3926 },
    ],
    [
      'a checksum reply listing two indices before the CRC',
      Buffer.from([1, 99, 3, 2, 7, 254, 0x01, 0x02, 0x03, 0x04]),
      { kind: 'missing-report', deviceId: 99, missing: [7, 254], checksum: 0x0102_0304 },
    ],
    [
      'a full checksum reply of 24 indices (32 bytes)',
      Buffer.from([1, 99, 3, 24, ...Array.from({ length: 24 }, (_, i) => i * 10), 0xff, 0xff, 0xff, 0xff]),
      {
        kind: 'missing-report',
        deviceId: 99,
        missing: Array.from({ length: 24 }, (_, i) => i * 10),
        checksum: 0xffff_ffff,
      },
    ],
    [
      'a restart report (k = 255, the CRC echoed)',
      Buffer.from([1, 99, 3, 255, 0xcb, 0xf4, 0x39, 0x26]),
      { kind: 'missing-report', deviceId: 99, missing: [], checksum: 0xcbf4_3926, restart: true },
    ],
    [
      'an analysis result',
      Buffer.from([1, 99, 4, 0, 1, 2, 0x1d, 0x4c, ...Buffer.from('frayed')]),
      {
        kind: 'analysis-result',
        deviceId: 99,
        status: AnalysisStatus.Analysed,
        verdict: Verdict.Defect,
        classIndex: 2,
        confidence: 7500,
        label: 'frayed',
      },
    ],
    [
      'an analysis result without analysis',
      Buffer.from([1, 99, 4, 2, 2, 255, 0, 0]),
      {
        kind: 'analysis-result',
        deviceId: 99,
        status: AnalysisStatus.Unavailable,
        verdict: Verdict.Uncertain,
        classIndex: NO_CLASS,
        confidence: 0,
        label: '',
      },
    ],
  ];
  for (const [name, datagram, frame] of accepted) {
    it(`decodes ${name}`, () => assertFrame(decodeServerFrame(datagram), frame));
  }

  const analysis = [1, 99, 4, 0, 0, 1, 0x27, 0x10];
  const rejected: ReadonlyArray<[string, Buffer, RejectionReason]> = [
    ['a 2-byte datagram', Buffer.from([1, 99]), 'too-short'],
    [
      'any reply longer than 32 bytes',
      bytes([1, 99, 4, 0, 0, 1, 0, 0], MAX_REPLY_BYTES + 1, 0x41),
      'too-long',
    ],
    ['client type 7', Buffer.from([7, 99, 0, 1, 0]), 'unknown-client-type'],
    ['a special op other than ping', Buffer.from([0, 99, 1, 1, 0]), 'unknown-op'],
    ['op 0, which only devices send', Buffer.from([1, 99, 0, 4]), 'unknown-op'],
    ['an undefined op', Buffer.from([1, 99, 5, 0]), 'unknown-op'],
    ['a 4-byte ping reply', Buffer.from([0, 99, 0, 1]), 'too-short'],
    ['an 8-byte upload reply', Buffer.from([1, 99, 1, 0, 255, 0, 0, 5]), 'too-short'],
    ['a 10-byte upload reply', Buffer.from([1, 99, 1, 0, 255, 0, 0, 5, 180, 0]), 'too-long'],
    [
      'an upload reply with an undefined status',
      Buffer.from([1, 99, 1, 200, 255, 0, 0, 5, 180]),
      'field-out-of-range',
    ],
    ['a 10-byte data reply', Buffer.from([1, 99, 2, 3, 0, 0, 0, 5, 172, 0]), 'too-long'],
    [
      'a data reply with an undefined status',
      Buffer.from([1, 99, 2, 3, 99, 0, 0, 5, 172]),
      'field-out-of-range',
    ],
    ['a missing report without its count', Buffer.from([1, 99, 3]), 'too-short'],
    ['a missing report with fewer indices than k', Buffer.from([1, 99, 3, 2, 5]), 'too-short'],
    ['a missing report with more indices than k', Buffer.from([1, 99, 3, 1, 5, 6]), 'too-long'],
    ['a missing report announcing 29 indices', Buffer.from([1, 99, 3, 29]), 'field-out-of-range'],
    ['a checksum reply whose CRC is cut short', Buffer.from([1, 99, 3, 1, 5, 0xcb, 0xf4, 0x39]), 'too-long'],
    [
      'a checksum reply of 25 indices (33 bytes)',
      Buffer.from([1, 99, 3, 25, ...new Array<number>(25).fill(1), 0, 0, 0, 0]),
      'too-long',
    ],
    ['a restart report without its CRC', Buffer.from([1, 99, 3, 255]), 'too-short'],
    ['a restart report listing an index', Buffer.from([1, 99, 3, 255, 9, 0, 0, 0, 0]), 'too-long'],
    ['a 7-byte analysis result', Buffer.from([1, 99, 4, 0, 0, 1, 0]), 'too-short'],
    ['an analysis result with status 3', Buffer.from([1, 99, 4, 3, 0, 255, 0, 0]), 'field-out-of-range'],
    ['an analysis result with verdict 3', Buffer.from([1, 99, 4, 0, 3, 1, 0, 0]), 'field-out-of-range'],
    ['a class other than 255 without analysis', Buffer.from([1, 99, 4, 1, 2, 0, 0, 0]), 'field-out-of-range'],
    ['a confidence of 10001', Buffer.from([1, 99, 4, 0, 0, 1, 0x27, 0x11]), 'field-out-of-range'],
    ['a label with a control character', Buffer.from([...analysis, 0x41, 0x00]), 'field-out-of-range'],
    ['a label with DEL', Buffer.from([...analysis, 0x7f]), 'field-out-of-range'],
    ['a label with a non-ASCII byte', Buffer.from([...analysis, 0xe9]), 'field-out-of-range'],
  ];
  for (const [name, datagram, reason] of rejected) {
    it(`rejects ${name} as ${reason}`, () => assertRejected(decodeServerFrame(datagram), reason));
  }

  it('never throws, and either decodes or names a known reason, on any datagram up to 2048 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (raw) => {
        const decoded = decodeServerFrame(Buffer.from(raw));
        assert.ok(decoded.ok || REASONS.includes(decoded.reason));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on datagrams that start with a plausible header', () => {
    fc.assert(
      fc.property(plausibleDatagram(), (datagram) => {
        const decoded = decodeServerFrame(datagram);
        assert.ok(decoded.ok || REASONS.includes(decoded.reason));
      }),
      { numRuns: 2000 },
    );
  });
});

/** Short datagrams whose first bytes look like a real header, to reach every field check. */
function plausibleDatagram(): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 5 }),
      fc.uint8Array({ maxLength: 40 }),
    )
    .map(([clientType, deviceId, op, rest]) => Buffer.from([clientType, deviceId, op, ...rest]));
}

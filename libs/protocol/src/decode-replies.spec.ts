import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AnalysisStatus, NO_CLASS, ReplyStatus, Verdict } from './codes.js';
import { assertFrame, assertRejected, bytes, plausibleDatagram, REASONS } from './decode-assertions.js';
import { decodeServerFrame } from './decode.js';
import type { RejectionReason, ServerFrame } from './frames.js';
import { MAX_REPLY_BYTES } from './limits.js';

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

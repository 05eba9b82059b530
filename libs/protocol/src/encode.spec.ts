import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AnalysisStatus, NO_CLASS, ReplyStatus, RESTART_TRANSFER_COUNT, Verdict } from './codes.js';
import { encodeDeviceFrame, encodeServerFrame } from './encode.js';
import type { AnalysisResult, DeviceFrame, ServerFrame } from './frames.js';
import {
  ANALYSIS_RESULT_HEADER_BYTES,
  DATA_HEADER_BYTES,
  MAX_LABEL_BYTES,
  MAX_MISSING_PER_REPLY,
  MAX_MISSING_WITH_CHECKSUM,
  MAX_REPLY_BYTES,
} from './limits.js';

/** An analysis result with the given label, all other fields fixed. */
function resultLabelled(label: string): AnalysisResult {
  return {
    kind: 'analysis-result',
    deviceId: 99,
    status: AnalysisStatus.Analysed,
    verdict: Verdict.Pass,
    classIndex: 0,
    confidence: 9000,
    label,
  };
}

describe('encodeServerFrame', () => {
  const encoded: ReadonlyArray<[string, ServerFrame, number[]]> = [
    [
      'a ping reply as [0, id, 0, version, flags]',
      { kind: 'ping-reply', deviceId: 99, protocolVersion: 1, flags: 3 },
      [0, 99, 0, 1, 3],
    ],
    [
      'an upload reply as [1, id, 1, status, N, P(4)]',
      { kind: 'upload-reply', deviceId: 99, status: ReplyStatus.Ok, packetCount: 255, maxPacketSize: 1460 },
      [1, 99, 1, 0, 255, 0, 0, 5, 180],
    ],
    [
      'a refusing upload reply with its reason code',
      { kind: 'upload-reply', deviceId: 7, status: ReplyStatus.Busy, packetCount: 3, maxPacketSize: 1024 },
      [1, 7, 1, 1, 3, 0, 0, 4, 0],
    ],
    [
      'a data reply as [1, id, 2, i, status, L(4)]',
      { kind: 'data-reply', deviceId: 99, index: 3, status: ReplyStatus.Ok, length: 1452 },
      [1, 99, 2, 3, 0, 0, 0, 5, 172],
    ],
    [
      'a data NACK with its reason code',
      { kind: 'data-reply', deviceId: 99, index: 3, status: ReplyStatus.BadIndex, length: 0x01020304 },
      [1, 99, 2, 3, 6, 1, 2, 3, 4],
    ],
    [
      'an empty missing report as [1, id, 3, 0]',
      { kind: 'missing-report', deviceId: 99, missing: [] },
      [1, 99, 3, 0],
    ],
    [
      'a missing report as [1, id, 3, k, ids…]',
      { kind: 'missing-report', deviceId: 99, missing: [4, 9, 200] },
      [1, 99, 3, 3, 4, 9, 200],
    ],
    [
      'an analysis result as [1, id, 4, status, verdict, class, confidence(2), label]',
      {
        kind: 'analysis-result',
        deviceId: 99,
        status: AnalysisStatus.Analysed,
        verdict: Verdict.Defect,
        classIndex: 2,
        confidence: 7500,
        label: 'frayed',
      },
      [1, 99, 4, 0, 1, 2, 0x1d, 0x4c, 0x66, 0x72, 0x61, 0x79, 0x65, 0x64],
    ],
    [
      'an unavailable analysis with class 255 and no label',
      {
        kind: 'analysis-result',
        deviceId: 99,
        status: AnalysisStatus.Unavailable,
        verdict: Verdict.Uncertain,
        classIndex: NO_CLASS,
        confidence: 0,
        label: '',
      },
      [1, 99, 4, 2, 2, 255, 0, 0],
    ],
  ];
  for (const [name, frame, bytes] of encoded) {
    it(`encodes ${name}`, () => assert.deepEqual([...encodeServerFrame(frame)], bytes));
  }

  it('lists 28 missing indices in exactly 32 bytes', () => {
    const missing = Array.from({ length: MAX_MISSING_PER_REPLY }, (_, i) => i);
    const datagram = encodeServerFrame({ kind: 'missing-report', deviceId: 99, missing });
    assert.equal(datagram.length, MAX_REPLY_BYTES);
    assert.deepEqual([...datagram], [1, 99, 3, 28, ...missing]);
  });

  it("writes a checksum reply's CRC big-endian after its indices", () => {
    const datagram = encodeServerFrame({
      kind: 'missing-report',
      deviceId: 99,
      missing: [3, 200],
      checksum: 0xcbf4_3926,
    });
    assert.deepEqual([...datagram], [1, 99, 3, 2, 3, 200, 0xcb, 0xf4, 0x39, 0x26]);
  });

  it('lists 24 missing indices and the checksum in exactly 32 bytes', () => {
    const missing = Array.from({ length: MAX_MISSING_WITH_CHECKSUM }, (_, i) => 254 - i);
    const datagram = encodeServerFrame({ kind: 'missing-report', deviceId: 99, missing, checksum: 1 });
    assert.equal(datagram.length, MAX_REPLY_BYTES);
    assert.deepEqual([...datagram], [1, 99, 3, 24, ...missing, 0, 0, 0, 1]);
  });

  it('refuses to list 25 missing indices with a checksum', () => {
    const missing = Array.from({ length: MAX_MISSING_WITH_CHECKSUM + 1 }, (_, i) => i);
    assert.throws(
      () => encodeServerFrame({ kind: 'missing-report', deviceId: 99, missing, checksum: 1 }),
      RangeError,
    );
  });

  it('encodes a restart as [1, id, 3, 255, CRC(4)]', () => {
    const datagram = encodeServerFrame({
      kind: 'missing-report',
      deviceId: 12,
      missing: [],
      checksum: 0x0a0b_0c0d,
      restart: true,
    });
    assert.deepEqual([...datagram], [1, 12, 3, RESTART_TRANSFER_COUNT, 0x0a, 0x0b, 0x0c, 0x0d]);
  });

  it('refuses to list 29 missing indices', () => {
    const missing = Array.from({ length: MAX_MISSING_PER_REPLY + 1 }, (_, i) => i);
    assert.throws(() => encodeServerFrame({ kind: 'missing-report', deviceId: 99, missing }), RangeError);
  });

  it('truncates a long label so the analysis result is exactly 32 bytes', () => {
    const datagram = encodeServerFrame(resultLabelled('insulation-damage-near-connector'));
    assert.equal(datagram.length, MAX_REPLY_BYTES);
    assert.equal(
      datagram.subarray(ANALYSIS_RESULT_HEADER_BYTES).toString('latin1'),
      'insulation-damage-near-c',
    );
  });

  it('keeps a label of exactly 24 characters whole', () => {
    const label = 'x'.repeat(MAX_LABEL_BYTES);
    assert.equal(
      encodeServerFrame(resultLabelled(label)).subarray(ANALYSIS_RESULT_HEADER_BYTES).toString('latin1'),
      label,
    );
  });

  it('replaces each non-ASCII or non-printable character of the label with ?', () => {
    const datagram = encodeServerFrame(resultLabelled('câble\tOK 👍'));
    assert.equal(datagram.subarray(ANALYSIS_RESULT_HEADER_BYTES).toString('latin1'), 'c?ble?OK ?');
  });

  const invalid: ReadonlyArray<[string, ServerFrame]> = [
    ['a device id above 255', { kind: 'ping-reply', deviceId: 256, protocolVersion: 1, flags: 0 }],
    ['a negative device id', { kind: 'ping-reply', deviceId: -1, protocolVersion: 1, flags: 0 }],
    [
      'a fractional field',
      { kind: 'data-reply', deviceId: 1, index: 1.5, status: ReplyStatus.Ok, length: 0 },
    ],
    [
      'P above 2^32 - 1',
      { kind: 'upload-reply', deviceId: 1, status: ReplyStatus.Ok, packetCount: 1, maxPacketSize: 2 ** 32 },
    ],
    ['a missing index above 255', { kind: 'missing-report', deviceId: 1, missing: [256] }],
    ['a checksum above 2^32 - 1', { kind: 'missing-report', deviceId: 1, missing: [], checksum: 2 ** 32 }],
    ['a negative checksum', { kind: 'missing-report', deviceId: 1, missing: [], checksum: -1 }],
    ['a restart without a checksum', { kind: 'missing-report', deviceId: 1, missing: [], restart: true }],
    [
      'a restart listing an index',
      { kind: 'missing-report', deviceId: 1, missing: [3], checksum: 5, restart: true },
    ],
    ['a confidence above 10000', { ...resultLabelled('a'), confidence: 10_001 }],
    ['a fractional confidence', { ...resultLabelled('a'), confidence: 99.5 }],
    [
      'a class without analysis',
      { ...resultLabelled('a'), status: AnalysisStatus.Undecodable, classIndex: 0 },
    ],
  ];
  for (const [name, frame] of invalid) {
    it(`throws a RangeError for ${name}`, () => assert.throws(() => encodeServerFrame(frame), RangeError));
  }

  it('never produces more than 32 bytes, whatever the label and the missing list', () => {
    const byte = fc.integer({ min: 0, max: 255 });
    const anyServerFrame = fc.oneof(
      fc
        .record({ label: fc.string({ unit: 'binary', maxLength: 100 }), classIndex: byte })
        .map(({ label, classIndex }) => ({ ...resultLabelled(label), classIndex }) satisfies ServerFrame),
      fc
        .array(byte, { maxLength: MAX_MISSING_PER_REPLY })
        .map((missing) => ({ kind: 'missing-report', deviceId: 99, missing }) satisfies ServerFrame),
      fc
        .record({
          missing: fc.array(byte, { maxLength: MAX_MISSING_WITH_CHECKSUM }),
          checksum: fc.integer({ min: 0, max: 0xffff_ffff }),
        })
        .map(
          ({ missing, checksum }) =>
            ({ kind: 'missing-report', deviceId: 99, missing, checksum }) satisfies ServerFrame,
        ),
      fc.constant<ServerFrame>({
        kind: 'missing-report',
        deviceId: 255,
        missing: [],
        checksum: 0xffff_ffff,
        restart: true,
      }),
      fc.constant<ServerFrame>({ kind: 'ping-reply', deviceId: 255, protocolVersion: 255, flags: 255 }),
      fc.constant<ServerFrame>({
        kind: 'upload-reply',
        deviceId: 255,
        status: ReplyStatus.Ok,
        packetCount: 255,
        maxPacketSize: 0xffff_ffff,
      }),
    );
    fc.assert(
      fc.property(anyServerFrame, (frame) => {
        assert.ok(encodeServerFrame(frame).length <= MAX_REPLY_BYTES);
      }),
    );
  });
});

describe('encodeDeviceFrame', () => {
  const encoded: ReadonlyArray<[string, DeviceFrame, number[]]> = [
    ['a ping as [0, id, 0]', { kind: 'ping', deviceId: 99 }, [0, 99, 0]],
    ['a bare confirmation', { kind: 'confirm', deviceId: 99, confirmedOp: undefined }, [1, 99, 0]],
    ['a confirmation of op 4', { kind: 'confirm', deviceId: 99, confirmedOp: 4 }, [1, 99, 0, 4]],
    [
      'an upload request without S in 8 bytes',
      { kind: 'upload-request', deviceId: 99, packetCount: 255, maxPacketSize: 1460, imageSize: undefined },
      [1, 99, 1, 255, 0, 0, 5, 180],
    ],
    [
      'an upload request with S in the width given',
      {
        kind: 'upload-request',
        deviceId: 99,
        packetCount: 101,
        maxPacketSize: 1460,
        imageSize: { value: 146_004, width: 4 },
      },
      [1, 99, 1, 101, 0, 0, 5, 180, 0, 0x02, 0x3a, 0x54],
    ],
    [
      'an upload request with the largest safe S in 8 bytes',
      {
        kind: 'upload-request',
        deviceId: 1,
        packetCount: 1,
        maxPacketSize: 1460,
        imageSize: { value: Number.MAX_SAFE_INTEGER, width: 8 },
      },
      [1, 1, 1, 1, 0, 0, 5, 180, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ],
    [
      'a data packet as [1, id, 2, i, L(4), payload]',
      { kind: 'data', deviceId: 99, index: 2, declaredLength: 3, payload: Buffer.from([0xff, 0xd8, 0xff]) },
      [1, 99, 2, 2, 0, 0, 0, 3, 0xff, 0xd8, 0xff],
    ],
    [
      'a data packet whose declared L disagrees with its payload',
      { kind: 'data', deviceId: 99, index: 2, declaredLength: 1452, payload: Buffer.from([1]) },
      [1, 99, 2, 2, 0, 0, 5, 172, 1],
    ],
    [
      'an end of transfer as [1, id, 3, N]',
      { kind: 'end-of-transfer', deviceId: 99, packetCount: 42 },
      [1, 99, 3, 42],
    ],
    [
      "generation C's end of transfer as [1, id, 3, N, CRC(4)], big-endian",
      { kind: 'end-of-transfer', deviceId: 99, packetCount: 42, checksum: 0xcbf4_3926 },
      [1, 99, 3, 42, 0xcb, 0xf4, 0x39, 0x26],
    ],
  ];
  for (const [name, frame, bytes] of encoded) {
    it(`encodes ${name}`, () => assert.deepEqual([...encodeDeviceFrame(frame)], bytes));
  }

  const request = { kind: 'upload-request', deviceId: 1, packetCount: 1, maxPacketSize: 1460 } as const;
  const invalid: ReadonlyArray<[string, DeviceFrame]> = [
    ['an S that does not fit its width', { ...request, imageSize: { value: 256, width: 1 } }],
    ['an S of width 0', { ...request, imageSize: { value: 0, width: 0 } }],
    ['an S of width 9', { ...request, imageSize: { value: 1, width: 9 } }],
    ['an S above 2^53 - 1', { ...request, imageSize: { value: 2 ** 53, width: 8 } }],
    ['a packet count above 255', { ...request, packetCount: 256, imageSize: undefined }],
    ['a confirmed op above 255', { kind: 'confirm', deviceId: 1, confirmedOp: 300 }],
    [
      'a checksum above 2^32 - 1',
      { kind: 'end-of-transfer', deviceId: 1, packetCount: 1, checksum: 2 ** 32 },
    ],
    ['a negative L', { kind: 'data', deviceId: 1, index: 0, declaredLength: -1, payload: Buffer.alloc(0) }],
    [
      'a payload too large for UDP',
      { kind: 'data', deviceId: 1, index: 0, declaredLength: 0, payload: Buffer.alloc(65_500) },
    ],
  ];
  for (const [name, frame] of invalid) {
    it(`throws a RangeError for ${name}`, () => assert.throws(() => encodeDeviceFrame(frame), RangeError));
  }

  it('writes exactly the header and the payload for any payload size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1452 }), (payload) => {
        const frame: DeviceFrame = {
          kind: 'data',
          deviceId: 99,
          index: 0,
          declaredLength: payload.length,
          payload: Buffer.from(payload),
        };
        const datagram = encodeDeviceFrame(frame);
        assert.equal(datagram.length, DATA_HEADER_BYTES + payload.length);
        assert.deepEqual(datagram.subarray(DATA_HEADER_BYTES), Buffer.from(payload));
      }),
    );
  });
});

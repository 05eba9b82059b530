import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AnalysisStatus, NO_CLASS, ReplyStatus, Verdict } from './codes.js';
import { decodeDeviceFrame, decodeServerFrame } from './decode.js';
import { encodeDeviceFrame, encodeServerFrame } from './encode.js';
import type { DeviceFrame, ImageSizeField, ServerFrame } from './frames.js';
import {
  MAX_IMAGE_SIZE_FIELD_BYTES,
  MAX_LABEL_BYTES,
  MAX_MISSING_PER_REPLY,
  MAX_MISSING_WITH_CHECKSUM,
  MAX_REPLY_BYTES,
} from './limits.js';

const FIRST_PRINTABLE = 0x20;
const LAST_PRINTABLE = 0x7e;
/** Widths of S from which every safe integer fits (256^7 > 2^53). */
const SAFE_WIDTH = 7;

/** fast-check records have a null prototype by default; frames are plain objects. */
const plain = { noNullPrototype: true } as const;

const byte = fc.integer({ min: 0, max: 255 });
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const replyStatus = fc.constantFrom(
  ...Object.values(ReplyStatus).filter((value): value is ReplyStatus => typeof value === 'number'),
);

/** S with a value that fits its width. */
const imageSize: fc.Arbitrary<ImageSizeField> = fc
  .integer({ min: 1, max: MAX_IMAGE_SIZE_FIELD_BYTES })
  .chain((width) =>
    fc.record(
      {
        value: fc.integer({ min: 0, max: width >= SAFE_WIDTH ? Number.MAX_SAFE_INTEGER : 256 ** width - 1 }),
        width: fc.constant(width),
      },
      plain,
    ),
  );

/** Labels the encoder sends unchanged: printable ASCII, at most 24 characters. */
const fittingLabel = fc
  .array(fc.integer({ min: FIRST_PRINTABLE, max: LAST_PRINTABLE }), { maxLength: MAX_LABEL_BYTES })
  .map((codes) => String.fromCharCode(...codes));

const deviceFrame: fc.Arbitrary<DeviceFrame> = fc.oneof(
  fc.record({ kind: fc.constant('ping'), deviceId: byte }, plain),
  fc.record(
    {
      kind: fc.constant('confirm'),
      deviceId: byte,
      confirmedOp: fc.option(byte, { nil: undefined }),
    },
    plain,
  ),
  fc.record(
    {
      kind: fc.constant('upload-request'),
      deviceId: byte,
      packetCount: byte,
      maxPacketSize: uint32,
      imageSize: fc.option(imageSize, { nil: undefined }),
    },
    plain,
  ),
  fc.record(
    {
      kind: fc.constant('data'),
      deviceId: byte,
      index: byte,
      declaredLength: uint32,
      payload: fc.uint8Array({ maxLength: 1500 }).map((bytes) => Buffer.from(bytes)),
    },
    plain,
  ),
  fc.record({ kind: fc.constant('end-of-transfer'), deviceId: byte, packetCount: byte }, plain),
  fc.record(
    { kind: fc.constant('end-of-transfer'), deviceId: byte, packetCount: byte, checksum: uint32 },
    plain,
  ),
);

const analysisResult = fc
  .constantFrom(...[AnalysisStatus.Analysed, AnalysisStatus.Undecodable, AnalysisStatus.Unavailable])
  .chain((status) =>
    fc.record(
      {
        kind: fc.constant('analysis-result' as const),
        deviceId: byte,
        status: fc.constant(status),
        verdict: fc.constantFrom(Verdict.Pass, Verdict.Defect, Verdict.Uncertain),
        classIndex: status === AnalysisStatus.Analysed ? byte : fc.constant(NO_CLASS),
        confidence: fc.integer({ min: 0, max: 10_000 }),
        label: fittingLabel,
      },
      plain,
    ),
  );

const serverFrame: fc.Arbitrary<ServerFrame> = fc.oneof(
  fc.record({ kind: fc.constant('ping-reply'), deviceId: byte, protocolVersion: byte, flags: byte }, plain),
  fc.record(
    {
      kind: fc.constant('upload-reply'),
      deviceId: byte,
      status: replyStatus,
      packetCount: byte,
      maxPacketSize: uint32,
    },
    plain,
  ),
  fc.record(
    {
      kind: fc.constant('data-reply'),
      deviceId: byte,
      index: byte,
      status: replyStatus,
      length: uint32,
    },
    plain,
  ),
  fc.record(
    {
      kind: fc.constant('missing-report'),
      deviceId: byte,
      missing: fc.array(byte, { maxLength: MAX_MISSING_PER_REPLY }),
    },
    plain,
  ),
  fc.record(
    {
      kind: fc.constant('missing-report'),
      deviceId: byte,
      missing: fc.array(byte, { maxLength: MAX_MISSING_WITH_CHECKSUM }),
      checksum: uint32,
    },
    plain,
  ),
  fc.record(
    {
      kind: fc.constant('missing-report'),
      deviceId: byte,
      missing: fc.constant([]),
      checksum: uint32,
      restart: fc.constant(true as const),
    },
    plain,
  ),
  analysisResult,
);

/** A valid-looking header followed by a short random body, so that many datagrams decode. */
const headedDatagram = fc
  .tuple(
    fc.integer({ min: 0, max: 1 }),
    byte,
    fc.integer({ min: 0, max: 4 }),
    fc.uint8Array({ maxLength: 20 }).map((body) => body.map((value) => value % 8)),
  )
  .map(([clientType, deviceId, op, body]) => Buffer.from([clientType, deviceId, op, ...body]));

describe('the codec round trip', () => {
  it('decodes every encoded device frame back to the same frame', () => {
    fc.assert(
      fc.property(deviceFrame, (frame) => {
        assert.deepEqual(decodeDeviceFrame(encodeDeviceFrame(frame)), { ok: true, frame });
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes every encoded server frame back to the same frame', () => {
    fc.assert(
      fc.property(serverFrame, (frame) => {
        assert.deepEqual(decodeServerFrame(encodeServerFrame(frame)), { ok: true, frame });
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes every valid server frame in at most 32 bytes', () => {
    fc.assert(
      fc.property(serverFrame, (frame) => {
        assert.ok(encodeServerFrame(frame).length <= MAX_REPLY_BYTES);
      }),
    );
  });

  it('accepts only canonical device datagrams: re-encoding a decoded one gives its bytes back', () => {
    fc.assert(
      fc.property(headedDatagram, (datagram) => {
        const decoded = decodeDeviceFrame(datagram);
        // A ping is the one frame allowed to carry bytes this version ignores.
        if (!decoded.ok || decoded.frame.kind === 'ping') return;
        assert.deepEqual(encodeDeviceFrame(decoded.frame), datagram);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts only canonical server datagrams: re-encoding a decoded one gives its bytes back', () => {
    fc.assert(
      fc.property(headedDatagram, (datagram) => {
        const decoded = decodeServerFrame(datagram);
        // A ping reply is the one frame allowed to carry bytes this version ignores.
        if (!decoded.ok || decoded.frame.kind === 'ping-reply') return;
        assert.deepEqual(encodeServerFrame(decoded.frame), datagram);
      }),
      { numRuns: 5000 },
    );
  });
});

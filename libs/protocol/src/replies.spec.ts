import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION, PingFlags, ReplyStatus, RESTART_TRANSFER_COUNT } from './codes.js';
import { decodeDeviceFrame } from './decode.js';
import { encodeServerFrame } from './encode.js';
import type { DeviceFrame } from './frames.js';
import { MAX_MISSING_PER_REPLY, MAX_MISSING_WITH_CHECKSUM, MAX_REPLY_BYTES } from './limits.js';
import { dataReply, missingReport, pingReply, restartTransfer, uploadReply } from './replies.js';

/** Decodes a literal device datagram, failing the test unless it is a frame of `kind`. */
function deviceFrame<TKind extends DeviceFrame['kind']>(
  kind: TKind,
  bytes: readonly number[],
): Extract<DeviceFrame, { kind: TKind }> {
  const decoded = decodeDeviceFrame(Buffer.from(bytes));
  assert.ok(decoded.ok, `fixture does not decode: ${JSON.stringify(decoded)}`);
  assert.equal(decoded.frame.kind, kind);
  return decoded.frame as Extract<DeviceFrame, { kind: TKind }>;
}

describe('the replies deployed firmware compares byte by byte', () => {
  it('answers a generation A request with [1, id, 1, 0] then [N, first three bytes of P]', () => {
    const request = deviceFrame('upload-request', [1, 99, 1, 255, 0, 0, 5, 180]);
    const datagram = encodeServerFrame(uploadReply(request, ReplyStatus.Ok));
    assert.deepEqual([...datagram.subarray(0, 4)], [1, 99, 1, 0]);
    assert.deepEqual([...datagram.subarray(4, 8)], [255, 0, 0, 5]);
    assert.deepEqual([...datagram], [1, 99, 1, 0, 255, 0, 0, 5, 180]);
  });

  it('echoes N and P of the WiFi build (P = 1024) in the upload reply', () => {
    const request = deviceFrame('upload-request', [1, 99, 1, 37, 0, 0, 4, 0]);
    assert.deepEqual(
      [...encodeServerFrame(uploadReply(request, ReplyStatus.Ok))],
      [1, 99, 1, 0, 37, 0, 0, 4, 0],
    );
  });

  it('ACKs a data packet with [1, id, 2, i], then 0, then its L', () => {
    const packet = deviceFrame('data', [1, 99, 2, 7, 0, 0, 5, 172, ...new Array<number>(1452).fill(0xaa)]);
    const datagram = encodeServerFrame(dataReply(packet, ReplyStatus.Ok));
    assert.deepEqual([...datagram.subarray(0, 4)], [1, 99, 2, 7]);
    assert.equal(datagram[4], 0);
    assert.deepEqual([...datagram.subarray(5, 9)], [0, 0, 5, 172]);
  });

  it('echoes the declared L, not the bytes that arrived, when NACKing a short packet', () => {
    const packet = deviceFrame('data', [1, 99, 2, 7, 0, 0, 5, 172, 1, 2, 3]);
    const datagram = encodeServerFrame(dataReply(packet, ReplyStatus.BadLength));
    assert.deepEqual([...datagram], [1, 99, 2, 7, ReplyStatus.BadLength, 0, 0, 5, 172]);
  });

  it('answers an end of transfer with the first 28 missing indices only', () => {
    const request = deviceFrame('end-of-transfer', [1, 99, 3, 60]);
    const missing = Array.from({ length: 40 }, (_, i) => i + 20);
    const datagram = encodeServerFrame(missingReport(request, missing));
    assert.deepEqual(
      [...datagram],
      [1, 99, 3, MAX_MISSING_PER_REPLY, ...missing.slice(0, MAX_MISSING_PER_REPLY)],
    );
  });

  it('answers a ping with this protocol version and the flags given', () => {
    const ping = deviceFrame('ping', [0, 42, 0]);
    const flags = PingFlags.AcceptingUploads | PingFlags.AnalysisAvailable;
    const datagram = encodeServerFrame(pingReply(ping, flags));
    assert.deepEqual([...datagram], [0, 42, 0, PROTOCOL_VERSION, 3]);
  });

  it('answers an end of transfer with nothing missing as [1, id, 3, 0]', () => {
    const request = deviceFrame('end-of-transfer', [1, 99, 3, 60]);
    assert.deepEqual([...encodeServerFrame(missingReport(request, []))], [1, 99, 3, 0]);
  });
});

describe('the replies to generation C, which carry its checksum back', () => {
  const crc = [0xcb, 0xf4, 0x39, 0x26];

  it('echoes the CRC of a checksum-bearing end of transfer after the first 24 missing indices', () => {
    const request = deviceFrame('end-of-transfer', [1, 99, 3, 200, ...crc]);
    const missing = Array.from({ length: 40 }, (_, i) => i + 100);
    const datagram = encodeServerFrame(missingReport(request, missing));
    assert.deepEqual(
      [...datagram],
      [1, 99, 3, MAX_MISSING_WITH_CHECKSUM, ...missing.slice(0, MAX_MISSING_WITH_CHECKSUM), ...crc],
    );
    assert.equal(datagram.length, MAX_REPLY_BYTES);
  });

  it('answers a stored image as [1, id, 3, 0, CRC(4)]', () => {
    const request = deviceFrame('end-of-transfer', [1, 42, 3, 1, ...crc]);
    assert.deepEqual([...encodeServerFrame(missingReport(request, []))], [1, 42, 3, 0, ...crc]);
  });

  it('tells the device to start again as [1, id, 3, 255, CRC(4)]', () => {
    const request = deviceFrame('end-of-transfer', [1, 42, 3, 17, ...crc]);
    assert.deepEqual(
      [...encodeServerFrame(restartTransfer(request))],
      [1, 42, 3, RESTART_TRANSFER_COUNT, ...crc],
    );
  });

  it('never tells generation B (a 4-byte end of transfer) to start again', () => {
    const request = deviceFrame('end-of-transfer', [1, 42, 3, 17]);
    assert.throws(() => restartTransfer(request), RangeError);
  });
});

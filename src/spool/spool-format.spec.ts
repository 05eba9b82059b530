import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeSpool,
  encodeFlowMode,
  encodeHeader,
  encodePacketPrefix,
  encodeStored,
  SpoolFormatError,
  type SpoolHeader,
} from './spool-format.js';

const HEADER: SpoolHeader = {
  transferId: 'a1b2c3d4e5f6',
  key: '1/99@10.0.0.7:44444',
  clientType: 1,
  deviceId: 99,
  remote: { address: '10.0.0.7', port: 44444 },
  packetCount: 3,
  maxPacketSize: 1024,
  imageSize: null,
  acceptedAt: 1_767_225_600_000,
  flowMode: 'probing',
};

function packetRecord(index: number, payload: Buffer): Buffer {
  return Buffer.concat([encodePacketPrefix(index, payload), payload]);
}

describe('spool format', () => {
  it('reads back the header, packets, flow mode and stored record it wrote', () => {
    const file = Buffer.concat([
      encodeHeader(HEADER),
      packetRecord(0, Buffer.from([1, 2, 3])),
      encodeFlowMode('stop-and-wait'),
      packetRecord(2, Buffer.from([9])),
      encodeStored({ imageId: '2026-01-01/99_10.0.0.7/000000000-a1b2c3d4e5f6', storedAt: 5 }),
    ]);
    const contents = decodeSpool(file);
    assert.deepEqual(contents.header, HEADER);
    assert.deepEqual(
      [...contents.packets.entries()],
      [
        [0, Buffer.from([1, 2, 3])],
        [2, Buffer.from([9])],
      ],
    );
    assert.equal(contents.flowMode, 'stop-and-wait');
    assert.equal(contents.stored?.storedAt, 5);
    assert.equal(contents.damagedTail, false);
  });

  it('keeps every complete record of a file cut short mid-record', () => {
    const whole = Buffer.concat([
      encodeHeader(HEADER),
      packetRecord(0, Buffer.alloc(100, 7)),
      packetRecord(1, Buffer.alloc(100, 8)),
    ]);
    const contents = decodeSpool(whole.subarray(0, whole.length - 30));
    assert.deepEqual([...contents.packets.keys()], [0]);
    assert.equal(contents.damagedTail, true);
  });

  it('stops at a packet whose checksum fails', () => {
    const record = packetRecord(1, Buffer.from([5, 5, 5]));
    record[record.length - 1] = 6;
    const contents = decodeSpool(
      Buffer.concat([encodeHeader(HEADER), packetRecord(0, Buffer.from([1])), record]),
    );
    assert.deepEqual([...contents.packets.keys()], [0]);
    assert.equal(contents.damagedTail, true);
  });

  it('ignores a packet index beyond the packet count', () => {
    const contents = decodeSpool(Buffer.concat([encodeHeader(HEADER), packetRecord(7, Buffer.from([1]))]));
    assert.equal(contents.packets.size, 0);
    assert.equal(contents.damagedTail, true);
  });

  const unusable: [string, Buffer][] = [
    ['an empty file', Buffer.alloc(0)],
    ['another magic', Buffer.from('JPEG....')],
    ['a header cut short', encodeHeader(HEADER).subarray(0, 20)],
    [
      'a header whose checksum fails',
      Buffer.from(encodeHeader(HEADER).map((b, i) => (i === 12 ? b ^ 1 : b))),
    ],
    ['a header missing fields', encodeHeader({ ...HEADER, packetCount: 0 })],
  ];
  for (const [what, file] of unusable) {
    it(`refuses ${what} with a SpoolFormatError`, () => {
      assert.throws(() => decodeSpool(file), SpoolFormatError);
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeSegment,
  encodeEnd,
  encodeFlowMode,
  encodeHeader,
  encodePacket,
  packetRecordBytes,
  replay,
  transferIdBytes,
  type SpoolHeader,
} from './segment-format.js';

const HEADER: SpoolHeader = {
  transferId: 'a1b2c3d4e5f6',
  clientType: 1,
  deviceId: 99,
  remote: { address: '10.0.0.7', port: 44444 },
  packetCount: 3,
  maxPacketSize: 1024,
  imageSize: null,
  acceptedAt: 1_767_225_600_000,
  flowMode: 'probing',
};
const ID = transferIdBytes(HEADER.transferId);

function segment(...records: Buffer[][]): Buffer {
  return Buffer.concat(records.flat());
}

describe('spool segment format', () => {
  it('reads back the header, packets and flow mode it wrote, with the epoch of the segment', () => {
    const file = segment(
      encodeHeader(7, HEADER),
      encodePacket(7, ID, 0, Buffer.from([1, 2, 3])),
      encodeFlowMode(7, ID, 'stop-and-wait'),
      encodePacket(7, ID, 2, Buffer.from([9])),
    );
    const contents = decodeSegment(file);
    assert.equal(contents.epoch, 7);
    assert.equal(contents.length, file.length);
    assert.equal(contents.damage, undefined);
    const [transfer] = replay(contents.records);
    assert.deepEqual(transfer!.header, HEADER);
    assert.deepEqual(
      [...transfer!.packets],
      [
        [0, Buffer.from([1, 2, 3])],
        [2, Buffer.from([9])],
      ],
    );
    assert.equal(transfer!.flowMode, 'stop-and-wait');
  });

  it('sizes a packet record exactly as it encodes it', () => {
    const payload = Buffer.alloc(1452, 5);
    const bytes = encodePacket(1, ID, 4, payload).reduce((sum, buffer) => sum + buffer.length, 0);
    assert.equal(packetRecordBytes(ID, payload), bytes);
  });

  it('stops quietly at the records an earlier use of the segment left behind', () => {
    const earlier = segment(encodeHeader(3, HEADER), encodePacket(3, ID, 1, Buffer.alloc(600, 1)));
    const current = segment(encodeHeader(9, { ...HEADER, transferId: 'ffffffffffff' }));
    const file = Buffer.concat([current, earlier]);
    const contents = decodeSegment(file);
    assert.equal(contents.epoch, 9);
    assert.equal(contents.records.length, 1);
    assert.equal(contents.damage, undefined);
  });

  it('keeps every record before one cut short, and says so', () => {
    const whole = segment(encodeHeader(2, HEADER), encodePacket(2, ID, 0, Buffer.alloc(100, 7)));
    const contents = decodeSegment(whole.subarray(0, whole.length - 30));
    assert.equal(contents.records.length, 1);
    assert.match(contents.damage ?? '', /cut short or checksum/);
  });

  it('stops at a record whose checksum fails', () => {
    const damaged = segment(encodePacket(2, ID, 1, Buffer.from([5, 5, 5])));
    damaged[damaged.length - 1] = 6;
    const contents = decodeSegment(Buffer.concat([segment(encodeHeader(2, HEADER)), damaged]));
    assert.equal(contents.records.length, 1);
    assert.ok(contents.damage);
  });

  it('reads nothing, and no damage, from an empty segment or one whose first write was cut short', () => {
    assert.deepEqual(decodeSegment(Buffer.alloc(0)), { epoch: undefined, records: [], length: 0 });
    const first = segment(encodeHeader(4, HEADER));
    assert.deepEqual(decodeSegment(first.subarray(0, first.length - 1)), {
      epoch: undefined,
      records: [],
      length: 0,
    });
    assert.equal(decodeSegment(Buffer.alloc(4096)).records.length, 0);
  });

  it('replays in order: an end removes a transfer, a header written again keeps its packets, a packet written again replaces it', () => {
    const other = { ...HEADER, transferId: '000000000001' };
    const otherId = transferIdBytes(other.transferId);
    const records = decodeSegment(
      segment(
        encodeHeader(1, HEADER),
        encodePacket(1, ID, 0, Buffer.from([1])),
        encodeHeader(1, other),
        encodePacket(1, otherId, 0, Buffer.from([2])),
        encodeEnd(1, otherId),
        encodeHeader(1, { ...HEADER, flowMode: 'burst' }),
        encodePacket(1, ID, 1, Buffer.from([3])),
        encodePacket(1, ID, 1, Buffer.from([4])),
      ),
    ).records;
    const transfers = replay(records);
    assert.deepEqual(
      transfers.map((transfer) => transfer.header.transferId),
      [HEADER.transferId],
    );
    assert.deepEqual([...transfers[0]!.packets.keys()], [0, 1]);
    assert.deepEqual(transfers[0]!.packets.get(1), Buffer.from([4]), 'the last record of a packet wins');
    assert.equal(transfers[0]!.flowMode, 'burst');
  });

  it('ignores packets of a transfer whose header is not in the log, and indices beyond its packet count', () => {
    const records = decodeSegment(
      segment(
        encodePacket(1, transferIdBytes('0123456789ab'), 0, Buffer.from([1])),
        encodeHeader(1, HEADER),
        encodePacket(1, ID, 7, Buffer.from([1])),
      ),
    ).records;
    const transfers = replay(records);
    assert.equal(transfers.length, 1);
    assert.equal(transfers[0]!.packets.size, 0);
  });

  it('refuses a header with fields missing or out of range as damage', () => {
    const contents = decodeSegment(segment(encodeHeader(1, { ...HEADER, packetCount: 0 })));
    assert.equal(contents.records.length, 0);
    assert.match(contents.damage ?? '', /unknown type or shape/);
  });
});

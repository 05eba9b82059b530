import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowMode, TransferParameters } from '../common/transfer-model.js';
import { CAMERA, imageOf } from './testing/uploads.js';
import { Transfer, type PacketOutcome } from './transfer.js';

const T0 = 1_000_000;
/** P = 24: 16 payload bytes a packet; four packets, the last one 5 bytes. */
const PARAMETERS: TransferParameters = { packetCount: 4, maxPacketSize: 24, imageSize: null };
const IMAGE = imageOf(3 * 16 + 5);
const OTHER = imageOf(3 * 16 + 5, 2);
/** The default DUPLICATE_WINDOW_MS. */
const WINDOW_MS = 500;

function payload(index: number, image = IMAGE): Buffer {
  return Buffer.from(image.subarray(index * 16, (index + 1) * 16));
}

function transferOf(mode: FlowMode = 'probing', parameters = PARAMETERS): Transfer {
  return new Transfer('0123456789ab', 1, 99, CAMERA, parameters, T0, mode);
}

/** Receives `indices` of IMAGE, one ms apart. */
function receiving(transfer: Transfer, indices: readonly number[]): Transfer {
  indices.forEach((index, step) => transfer.receive(index, payload(index), T0 + 1 + step));
  return transfer;
}

describe('Transfer', () => {
  describe('states', () => {
    it('is accepted until its first packet, receiving until the last one is in, then complete', () => {
      const transfer = transferOf('stop-and-wait');
      assert.equal(transfer.state, 'accepted');
      assert.equal(transfer.nextExpected, 0);
      transfer.receive(0, payload(0), T0 + 5);
      assert.equal(transfer.state, 'receiving');
      assert.equal(transfer.firstPacketAt, T0 + 5);
      receiving(transfer, [1, 2]);
      assert.equal(transfer.state, 'receiving');
      assert.equal(transfer.nextExpected, 3);
      receiving(transfer, [3]);
      assert.equal(transfer.state, 'complete');
      assert.equal(transfer.isComplete, true);
      assert.equal(transfer.bufferedBytes, IMAGE.length);
    });

    it('stores: the slices become the image, then on disk it lets every byte go', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [3, 0, 2, 1]);
      const image = transfer.startStoring(T0 + 10);
      assert.ok(image.equals(IMAGE));
      assert.equal(transfer.state, 'storing');
      assert.equal(transfer.completedAt, T0 + 10);
      assert.ok(transfer.payloadAt(3)!.equals(payload(3)), 'the last packet, 5 bytes, read from the image');
      transfer.stored();
      assert.equal(transfer.state, 'stored');
      assert.equal(transfer.bufferedBytes, 0);
      assert.equal(transfer.payloadAt(0), undefined);
    });

    it('after a failed write waits unstored, ready to be written again from the same image', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1, 2, 3]);
      transfer.startStoring(T0 + 10);
      transfer.storeFailed();
      assert.equal(transfer.state, 'unstored');
      assert.equal(transfer.readyToStore, true);
      assert.ok(transfer.startStoring(T0 + 20).equals(IMAGE));
      assert.equal(transfer.completedAt, T0 + 10, 'completed when it was whole, not when written again');
    });

    it('refuses to store what is not ready', () => {
      assert.throws(
        () => receiving(transferOf('stop-and-wait'), [0, 1, 2]).startStoring(T0),
        /not ready to store/,
      );
      assert.throws(
        () => receiving(transferOf('burst'), [0, 1, 2, 3]).startStoring(T0),
        /not ready to store/,
      );
    });
  });

  describe('one more copy of a packet', () => {
    const cases: [string, Buffer, PacketOutcome, number][] = [
      ['the same bytes: a duplicate', payload(1), 'duplicate', 0],
      ['other bytes: a conflict, the first ones kept', payload(1, OTHER), 'conflict', 1],
    ];
    for (const [what, again, outcome, conflicts] of cases) {
      it(what, () => {
        const transfer = transferOf();
        assert.equal(transfer.receive(1, payload(1), T0 + 1), 'new');
        assert.equal(transfer.receive(1, again, T0 + 2), outcome);
        assert.ok(transfer.payloadAt(1)!.equals(payload(1)));
        assert.deepEqual([transfer.receivedPackets, transfer.bufferedBytes], [1, 16]);
        assert.deepEqual([transfer.counters.duplicates, transfer.counters.conflicts], [1, conflicts]);
      });
    }
  });

  describe('replace (the held copy was a late one of the previous image’s, the caller found)', () => {
    it('puts the new copy in place of the held one: no conflict any more, the memory of the new one', () => {
      const transfer = receiving(transferOf(), [0, 1, 2]);
      const shorter = Buffer.from(OTHER.subarray(48, 50));
      assert.equal(transfer.receive(3, payload(3, OTHER), T0 + 10), 'new');
      assert.equal(transfer.receive(3, shorter, T0 + 11), 'conflict');
      assert.equal(transfer.replace(3, shorter), true);
      assert.ok(transfer.payloadAt(3)!.equals(shorter));
      assert.deepEqual([transfer.counters.duplicates, transfer.counters.conflicts], [1, 0]);
      assert.deepEqual([transfer.receivedPackets, transfer.bufferedBytes], [4, 3 * 16 + 2]);
      assert.equal(transfer.state, 'complete');
    });

    it('replaces nothing it does not hold, nor anything once the image is assembled', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1, 2]);
      assert.equal(transfer.replace(3, payload(3)), false);
      assert.equal(transfer.holds(3), false);
      receiving(transfer, [3]);
      transfer.receive(1, payload(1, OTHER), T0 + 10);
      transfer.startStoring(T0 + 11);
      assert.equal(transfer.replace(1, payload(1, OTHER)), false);
      assert.ok(transfer.image!.equals(IMAGE));
      assert.equal(transfer.counters.conflicts, 1);
    });
  });

  describe('readyToStore', () => {
    const cases: [string, FlowMode, (transfer: Transfer) => void, boolean][] = [
      ['stop-and-wait, whole', 'stop-and-wait', (t) => receiving(t, [0, 1, 2, 3]), true],
      ['stop-and-wait, a packet missing', 'stop-and-wait', (t) => receiving(t, [0, 1, 2]), false],
      ['burst, whole, no end of transfer yet', 'burst', (t) => receiving(t, [0, 1, 2, 3]), false],
      [
        'burst, whole, end of transfer after the last new packet',
        'burst',
        (t) => (receiving(t, [0, 1, 2, 3]), t.endOfTransfer(T0 + 9, undefined)),
        true,
      ],
      [
        'burst, end of transfer before the last new packet',
        'burst',
        (t) => (receiving(t, [0, 1, 2]), t.endOfTransfer(T0 + 9, undefined), receiving(t, [3])),
        false,
      ],
      [
        'burst, end of transfer, then a duplicate',
        'burst',
        (t) => (receiving(t, [0, 1, 2, 3]), t.endOfTransfer(T0 + 9, undefined), receiving(t, [2])),
        true,
      ],
      [
        'still probing, whole, after an end of transfer',
        'probing',
        (t) => (receiving(t, [0, 1, 2, 3]), t.endOfTransfer(T0 + 9, undefined)),
        true,
      ],
    ];
    for (const [what, mode, arrange, ready] of cases) {
      it(`${what}: ${ready}`, () => {
        const transfer = transferOf(mode);
        arrange(transfer);
        assert.equal(transfer.readyToStore, ready);
      });
    }
  });

  describe('a stop-and-wait device resending (past DUPLICATE_WINDOW_MS: a retry, not a network copy)', () => {
    // Packet 2, the last new one, came at T0 + 3.
    const cases: [string, (transfer: Transfer) => [number, number], boolean][] = [
      ['its last packet, the window after it', () => [2, T0 + 3 + WINDOW_MS], true],
      ['its last packet, within the window (a network copy)', () => [2, T0 + 3 + WINDOW_MS - 1], false],
      ['an older packet', () => [1, T0 + 5000], false],
      ['after an end of transfer', (t) => (t.endOfTransfer(T0 + 10, undefined), [2, T0 + 5000]), false],
    ];
    for (const [what, arrange, shows] of cases) {
      it(`${what}: ${shows ? 'shows' : 'does not show'} stop-and-wait`, () => {
        const transfer = receiving(transferOf('burst'), [0, 1, 2]);
        const [index, at] = arrange(transfer);
        assert.equal(transfer.isResentByStopAndWait(index, at, WINDOW_MS), shows);
      });
    }
  });

  describe('restart suspicion (the same request again once data arrived)', () => {
    it('is no suspicion before any data: a lost accept', () => {
      const transfer = transferOf('stop-and-wait');
      transfer.suspectRestart();
      assert.equal(transfer.restartSuspected, false);
    });

    it('collects the identical packets from index 0 on; the first that differs shows a restart', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1, 2]);
      transfer.suspectRestart();
      assert.equal(transfer.restartSuspected, true);
      assert.equal(transfer.showsRestart(0, transfer.receive(0, payload(0), T0 + 10)), false);
      assert.equal(transfer.showsRestart(1, transfer.receive(1, payload(1, OTHER), T0 + 11)), true);
      assert.deepEqual(
        transfer.echoedPackets().map(([index, bytes]) => [index, bytes.equals(payload(index))]),
        [[0, true]],
      );
    });

    it('counts only the prefix sent again: an identical copy ahead of it, or one sent twice, adds nothing', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1, 2, 3]);
      transfer.suspectRestart();
      const echoed = (): number[] => transfer.echoedPackets().map(([index]) => index);
      for (const [index, prefix] of [
        [1, []],
        [0, [0]],
        [0, [0]],
        [1, [0, 1]],
        [3, [0, 1]],
      ] as const) {
        assert.equal(transfer.showsRestart(index, transfer.receive(index, payload(index), T0 + 10)), false);
        assert.deepEqual(echoed(), prefix);
      }
    });

    it('is cleared by the packet after the last one held: the device went on', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1]);
      transfer.suspectRestart();
      assert.equal(transfer.showsRestart(2, transfer.receive(2, payload(2), T0 + 10)), false);
      assert.equal(transfer.restartSuspected, false);
      assert.deepEqual(transfer.echoedPackets(), []);
    });

    it('ignores a differing copy out of order, and sees a restart in a new packet that is not the next', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1, 2]);
      transfer.suspectRestart();
      assert.equal(transfer.showsRestart(2, transfer.receive(2, payload(2, OTHER), T0 + 10)), false);
      assert.equal(transfer.showsRestart(0, transfer.receive(0, payload(0), T0 + 11)), false);
      assert.equal(transfer.showsRestart(1, transfer.receive(1, payload(1), T0 + 12)), false);
      assert.equal(transfer.echoedPackets().length, 2);
      const other = receiving(transferOf('burst'), [0, 2]);
      other.suspectRestart();
      assert.equal(other.showsRestart(3, other.receive(3, payload(3), T0 + 10)), true);
    });

    it('tells nothing without a repeated request', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1]);
      assert.equal(transfer.showsRestart(1, transfer.receive(1, payload(1, OTHER), T0 + 10)), false);
    });
  });

  describe('missing and forget', () => {
    it('lists the first missing indices in order, at most the limit, none once whole', () => {
      const wide = transferOf('burst', { packetCount: 60, maxPacketSize: 24, imageSize: null });
      for (const index of [0, 2, 59]) wide.receive(index, payload(0), T0);
      assert.deepEqual(wide.missing(5), [1, 3, 4, 5, 6]);
      assert.equal(wide.missing(28).length, 28);
      assert.deepEqual(receiving(transferOf(), [0, 1, 2, 3]).missing(28), []);
    });

    it('takes back a packet that could not be spooled: missing again, complete no more', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1, 2, 3]);
      transfer.forget(2);
      assert.equal(transfer.state, 'receiving');
      assert.equal(transfer.receivedPackets, 3);
      assert.equal(transfer.bufferedBytes, IMAGE.length - 16);
      assert.deepEqual(transfer.missing(28), [2]);
      assert.equal(transfer.holds(2), false);
      assert.equal(transfer.receive(2, payload(2), T0 + 20), 'new');
      assert.equal(transfer.state, 'complete');
    });

    it('takes back the packet received last: it is the next expected again (stop-and-wait resends it)', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1, 2]);
      transfer.forget(2);
      assert.equal(transfer.nextExpected, 2);
      transfer.forget(1);
      transfer.forget(0);
      assert.equal(transfer.nextExpected, 0);
      assert.equal(transfer.receive(0, payload(0), T0 + 20), 'new');
      assert.equal(transfer.nextExpected, 1);
    });

    it('forgets nothing it does not hold, nor anything once the image is assembled', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1]);
      transfer.forget(3);
      assert.equal(transfer.receivedPackets, 2);
      receiving(transfer, [2, 3]).startStoring(T0 + 9);
      transfer.forget(1);
      assert.equal(transfer.receivedPackets, 4);
      assert.ok(transfer.payloadAt(1)!.equals(payload(1)));
    });
  });

  describe('dormancy', () => {
    it('sleeps keeping what it holds, from the first time it was put to sleep, until its device is back', () => {
      const transfer = receiving(transferOf('stop-and-wait'), [0, 1]);
      transfer.sleep(T0 + 100);
      transfer.sleep(T0 + 200);
      assert.equal(transfer.dormantSince, T0 + 100);
      assert.equal(transfer.receivedPackets, 2);
      assert.ok(transfer.payloadAt(1)!.equals(payload(1)));
      transfer.wake(T0 + 300);
      assert.equal(transfer.dormantSince, undefined);
      assert.equal(transfer.lastActivityAt, T0 + 300);
    });
  });

  it('learns its flow mode, saying when it changed, and describes itself with it', () => {
    const transfer = transferOf();
    assert.equal(transfer.learnFlowMode('burst'), true);
    assert.equal(transfer.learnFlowMode('burst'), false);
    assert.equal(transfer.learnFlowMode('stop-and-wait'), true);
    transfer.acceptSent(T0 + 7);
    transfer.acceptSent(T0 + 9);
    assert.equal(transfer.acceptSentAt, T0 + 7);
    assert.deepEqual(transfer.describe(), {
      transferId: '0123456789ab',
      clientType: 1,
      deviceId: 99,
      remote: CAMERA,
      packetCount: 4,
      maxPacketSize: 24,
      imageSize: null,
      acceptedAt: T0,
      flowMode: 'stop-and-wait',
    });
  });
});

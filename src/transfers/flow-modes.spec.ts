import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { EndOfTurn } from '#udp-transport';
import { FakeClock } from '../common/fake-clock.js';
import type { CompletedTransfer, FlowMode } from '../common/transfer-model.js';
import { decodeSegment, replay } from '../spool/segment-format.js';
import { Spool } from '../spool/spool.js';
import { packetDigestsOf } from './completed-transfer.js';
import { FlowModes } from './flow-modes.js';
import type { DecidedMode } from './flow-probe.js';
import { limitsWith } from './testing/transfer-harness.js';
import { CAMERA, turnsPass } from './testing/uploads.js';
import { Transfer } from './transfer.js';
import { TransferJournal } from './transfer-journal.js';

const LIMITS = limitsWith({ flowProbeMs: 40, duplicateWindowMs: 500 });
const PARAMETERS = { packetCount: 8, maxPacketSize: 1024, imageSize: null };
const PAYLOAD = Buffer.alloc(1016, 3);
/** Packet 0 of the device's own image, unlike the previous image's. */
const OWN = Buffer.alloc(1016, 5);
/** The device's previous image, every packet of it PAYLOAD: its record recognises PAYLOAD at any index. */
const PREVIOUS = Buffer.alloc(8 * 1016, 3);

describe('FlowModes (with a real spool journal)', () => {
  let clock: FakeClock;
  let turn: EndOfTurn;
  let directory: string;
  let spool: Spool;
  let journal: TransferJournal;
  let modes: FlowModes;
  /** What the receive queue holds when the probe asks: bytes, unknown, or a failure. */
  let queued: number | undefined | Error;
  let backlogAsked: number[];
  /** The flow mode the spool held each time the turn's replies were released. */
  let journaledAtRelease: (FlowMode | undefined)[];
  let transfer: Transfer;

  /** The transfer's flow mode as a restart would read it back from the segment files, now. */
  function journaledMode(): FlowMode | undefined {
    const names = readdirSync(directory)
      .filter((name) => name.startsWith('segment-'))
      .sort();
    const records = names.flatMap((name) => decodeSegment(readFileSync(join(directory, name))).records);
    return replay(records).find((each) => each.header.transferId === transfer.transferId)?.flowMode;
  }

  function transferIn(mode: FlowMode): Transfer {
    transfer = new Transfer('5eed5eed5eed', 1, 99, CAMERA, PARAMETERS, clock.now(), mode);
    journal.begin(transfer);
    return transfer;
  }

  /**
   * A packet arriving as the data path hands it over: kept, then asked how to answer it, the
   * record of the device's previous image at hand when `previous` (see PREVIOUS).
   */
  function arrives(
    index: number,
    resend = false,
    { payload = PAYLOAD, previous = false }: { payload?: Buffer; previous?: boolean } = {},
  ): DecidedMode | Promise<DecidedMode> | undefined {
    turn.touch();
    if (!resend) transfer.receive(index, payload, clock.now());
    return modes.forData(transfer, index, payload, resend, previous ? recordOfPrevious() : undefined);
  }

  function recordOfPrevious(): CompletedTransfer {
    return {
      ...transfer.describe(),
      transferId: 'ba5eba11ba5e',
      imageId: 'previous',
      storedAt: clock.now(),
      packetDigests: packetDigestsOf(PARAMETERS, PREVIOUS),
      imageChecksum: crc32(PREVIOUS),
    };
  }

  function watch(decision: DecidedMode | Promise<DecidedMode> | undefined): {
    mode: DecidedMode | undefined;
    readonly promise: Promise<DecidedMode>;
  } {
    assert.ok(decision instanceof Promise, 'the answer waits for the probe');
    const watched = { mode: undefined as DecidedMode | undefined, promise: decision };
    void decision.then((mode) => (watched.mode = mode));
    return watched;
  }

  beforeEach(async () => {
    clock = new FakeClock();
    turn = new EndOfTurn();
    directory = join(await mkdtemp(join(tmpdir(), 'flow-modes-')), '.spool');
    spool = new Spool(directory, { completedRecordTtlMs: 60_000, touch: () => turn.touch() });
    await spool.recover(clock.now());
    journal = new TransferJournal(spool, turn, () => undefined);
    queued = 0;
    backlogAsked = [];
    const backlog = (): Promise<number | undefined> => {
      backlogAsked.push(clock.now());
      return queued instanceof Error ? Promise.reject(queued) : Promise.resolve(queued);
    };
    modes = new FlowModes(clock, LIMITS, backlog, turn, journal);
    journaledAtRelease = [];
    turn.onRelease(() => journaledAtRelease.push(journaledMode()));
    transferIn('probing');
  });

  afterEach(async () => {
    spool.closeAll();
    await rm(join(directory, '..'), { recursive: true, force: true });
  });

  describe('the probe of a transfer whose pacing is not known', () => {
    it('holds the first answer for FLOW_PROBE_MS; silence means stop-and-wait, journaled before the answer leaves', async () => {
      const first = watch(arrives(0));
      clock.advance(39);
      await turnsPass();
      assert.equal(first.mode, undefined);
      clock.advance(1);
      await turnsPass();
      assert.equal(first.mode, 'stop-and-wait');
      assert.equal(transfer.flowMode, 'stop-and-wait');
      assert.equal(journaledAtRelease.at(-1), 'stop-and-wait');
      assert.deepEqual(backlogAsked, [clock.now()]);
    });

    it('decides at the end of the turn: a packet handled in that turn still shows a burst', async () => {
      const first = watch(arrives(0));
      await turnsPass();
      clock.advance(40);
      for (let tick = 0; tick < 100 && !turn.open; tick++) await Promise.resolve();
      assert.equal(turn.open, true, 'the decision waits for the end of the turn');
      assert.equal(arrives(1), 'burst');
      await turnsPass();
      assert.equal(first.mode, 'burst');
      assert.equal(journaledMode(), 'burst');
    });

    it('another index within the window: burst at once, and the probe stops', async () => {
      const first = watch(arrives(0));
      clock.advance(10);
      assert.equal(arrives(3), 'burst');
      await turnsPass();
      assert.equal(first.mode, 'burst');
      assert.equal(journaledAtRelease.at(-1), 'burst');
      assert.equal(clock.pendingTimers, 0);
      clock.advance(100);
      await turnsPass();
      assert.deepEqual(backlogAsked, []);
      assert.equal(transfer.flowMode, 'burst');
    });

    it('the same index again within the window joins the probe under way', () => {
      const first = arrives(0);
      assert.equal(arrives(0, true), first);
    });

    it('a packet with the previous image’s bytes starts no probe and gets no answer until resent after the window', async () => {
      assert.equal(arrives(0, false, { previous: true }), undefined);
      clock.advance(100);
      assert.equal(
        arrives(0, true, { previous: true }),
        undefined,
        'a network copy of it: still nothing known',
      );
      assert.equal(clock.pendingTimers, 0, 'no probe runs');
      clock.advance(LIMITS.duplicateWindowMs);
      assert.equal(
        arrives(0, true, { previous: true }),
        'stop-and-wait',
        'sent again by stop-and-wait firmware',
      );
      await turnsPass();
      assert.equal(journaledMode(), 'stop-and-wait');
    });

    it('another index that is a late copy of the previous image’s is no burst evidence: it joins the probe', async () => {
      const first = watch(arrives(0, false, { payload: OWN }));
      clock.advance(10);
      assert.equal(arrives(3, false, { previous: true }), first.promise);
      clock.advance(30);
      await turnsPass();
      assert.equal(first.mode, 'stop-and-wait');
    });

    it('another index with other bytes than the previous image’s there: burst', async () => {
      const first = watch(arrives(0, false, { payload: OWN }));
      clock.advance(10);
      assert.equal(arrives(3, false, { payload: Buffer.alloc(1016, 4), previous: true }), 'burst');
      await turnsPass();
      assert.equal(first.mode, 'burst');
    });

    it('an end of transfer within the window: burst', async () => {
      const first = watch(arrives(0));
      modes.endOfTransfer(transfer);
      await turnsPass();
      assert.equal(first.mode, 'burst');
      assert.equal(journaledMode(), 'burst');
    });

    it('while datagrams are still queued at the window’s end, looks again every 5 ms until they are read', async () => {
      queued = 1472;
      const first = watch(arrives(0));
      const start = clock.now();
      clock.advance(40);
      await turnsPass();
      clock.advance(5);
      await turnsPass();
      assert.equal(first.mode, undefined);
      queued = 0;
      clock.advance(5);
      await turnsPass();
      assert.equal(first.mode, 'stop-and-wait');
      assert.deepEqual(
        backlogAsked.map((at) => at - start),
        [40, 45, 50],
      );
    });

    it('a packet read while looking again shows a burst', async () => {
      queued = 1472;
      const first = watch(arrives(0));
      clock.advance(45);
      await turnsPass();
      assert.equal(arrives(1), 'burst');
      await turnsPass();
      assert.equal(first.mode, 'burst');
    });

    it('decides anyway once ten more windows have passed with the queue never empty', async () => {
      queued = 1472;
      const first = watch(arrives(0));
      const start = clock.now();
      for (let step = 0; step < 200 && first.mode === undefined; step++) {
        clock.advance(5);
        await turnsPass(1);
      }
      assert.equal(first.mode, 'stop-and-wait');
      const decidedAfter = clock.now() - start;
      assert.ok(decidedAfter >= 11 * 40 && decidedAfter <= 11 * 40 + 10, `decided after ${decidedAfter} ms`);
    });

    const unknowable: [string, number | undefined | Error][] = [
      ['cannot tell', undefined],
      ['fails', new Error('no /proc/net/udp')],
    ];
    for (const [what, backlog] of unknowable) {
      it(`decides at the window’s end when the receive queue ${what}`, async () => {
        queued = backlog;
        const first = watch(arrives(0));
        clock.advance(40);
        await turnsPass();
        assert.equal(first.mode, 'stop-and-wait');
      });
    }

    it('ended() settles a running probe with what is known, so that no answer waits forever', async () => {
      const first = watch(arrives(0));
      modes.ended(transfer);
      await turnsPass();
      assert.equal(first.mode, 'stop-and-wait');
      assert.equal(clock.pendingTimers, 0);
    });
  });

  describe('known pacing', () => {
    it('answers a stop-and-wait transfer (a remembered hint) at once, without a probe', () => {
      transferIn('stop-and-wait');
      assert.equal(arrives(0), 'stop-and-wait');
      assert.equal(clock.pendingTimers, 0);
    });

    it('an end of transfer shows burst firmware, whatever was believed, journaled', async () => {
      transferIn('stop-and-wait');
      turn.touch();
      modes.endOfTransfer(transfer);
      await turnsPass();
      assert.equal(transfer.flowMode, 'burst');
      assert.equal(journaledAtRelease.at(-1), 'burst');
    });

    // A burst transfer whose packets 0..2 came one ms apart, then a copy of one of them.
    const window = LIMITS.duplicateWindowMs;
    const resends: [string, number, number, boolean, DecidedMode][] = [
      ['the last packet sent again identically DUPLICATE_WINDOW_MS later', 2, window, false, 'stop-and-wait'],
      ['the last packet sent again within the window (a network copy)', 2, window - 1, false, 'burst'],
      ['an earlier packet sent again', 1, 5000, false, 'burst'],
      ['the last packet sent again after an end of transfer', 2, 5000, true, 'burst'],
    ];
    for (const [what, index, afterMs, endFirst, expected] of resends) {
      it(`corrects burst: ${what} → ${expected}`, async () => {
        transferIn('burst');
        for (const each of [0, 1, 2]) {
          arrives(each);
          clock.advance(1);
        }
        if (endFirst) {
          transfer.endOfTransfer(clock.now(), undefined);
          modes.endOfTransfer(transfer);
        }
        clock.advance(afterMs - 1);
        assert.equal(arrives(index, true), expected);
        await turnsPass();
        assert.equal(transfer.flowMode, expected);
        assert.equal(journaledMode(), expected);
      });
    }
  });
});

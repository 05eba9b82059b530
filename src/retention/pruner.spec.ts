import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS } from './retention-policy.js';
import type { ImageRef } from './retention-store.js';
import { ModelStore } from './testing/model-store.js';
import { DEFAULT_POLICY, NO_ROOM_LIMITS, PruningHarness } from './testing/pruning-harness.js';

const NOW = Date.UTC(2026, 5, 30, 12);
const HOUR = 3_600_000;

function present(harness: PruningHarness, refs: readonly ImageRef[]): boolean[] {
  return refs.map((ref) => harness.store.get(ref) !== undefined);
}

describe('Pruner', () => {
  it('removes images past 30 days, defects and uncertain verdicts only past 90', () => {
    const harness = new PruningHarness(new ModelStore());
    const refs = [
      harness.add(NOW - 95 * DAY_MS, '1_a', 'kept-longer'),
      harness.add(NOW - 89 * DAY_MS, '1_a', 'kept-longer'),
      harness.add(NOW - 31 * DAY_MS, '1_a', 'normal'),
      harness.add(NOW - 31 * DAY_MS, '2_b', 'kept-longer'),
      harness.add(NOW - 29 * DAY_MS, '2_b', 'normal'),
      harness.add(NOW - HOUR, '2_b', 'normal'),
    ];
    const report = harness.pass(NOW);
    assert.deepEqual(present(harness, refs), [false, true, false, true, true, true]);
    assert.deepEqual(report.pruned, { age: 2, size: 0, disk: 0 });
    assert.equal(report.bytes, 2000);
    assert.equal(report.oldestKeptAt, NOW - 89 * DAY_MS);
    assert.equal(harness.totals.images, 4);
    assert.equal(harness.totals.bytes, 4000);
  });

  it('never removes an image waiting for analysis or reviewed, and says what room it could not make', () => {
    const harness = new PruningHarness(new ModelStore(), DEFAULT_POLICY, {
      ...NO_ROOM_LIMITS,
      capBytes: 1500,
      slackBytes: 100,
    });
    const refs = [
      harness.add(NOW - 400 * DAY_MS, '1_a', 'reviewed'),
      harness.add(NOW - 2 * DAY_MS, '1_a', 'unanalysed'),
      harness.add(NOW - HOUR, '1_a', 'normal'),
      harness.add(NOW - HOUR, '2_b', 'unanalysed'),
    ];
    const report = harness.pass(NOW);
    assert.deepEqual(present(harness, refs), [true, true, false, true]);
    assert.equal(report.unmet, 'size');
    assert.equal(report.pending, 2);
    assert.equal(report.reviewed, 1);
    assert.equal(report.oldestKeptAt, NOW - 400 * DAY_MS);
  });

  it('lets unanalysed images age like the others when no classifier will reach them', () => {
    const analysisOff = new PruningHarness(new ModelStore(), { ...DEFAULT_POLICY, pendingDays: 0 });
    const old = analysisOff.add(NOW - 31 * DAY_MS, '1_a', 'unanalysed');
    const fresh = analysisOff.add(NOW - HOUR, '1_a', 'unanalysed');
    analysisOff.pass(NOW);
    assert.deepEqual(present(analysisOff, [old, fresh]), [false, true]);

    // ANALYSIS_BACKLOG_DAYS=7: the classifier's next start queues those of today and the 6 days before.
    const backlog = new PruningHarness(new ModelStore(), DEFAULT_POLICY);
    const beyond = backlog.add(NOW - 31 * DAY_MS, '1_a', 'unanalysed');
    const within = backlog.add(NOW - 6 * DAY_MS, '1_a', 'unanalysed');
    backlog.targets = { ...NO_ROOM_LIMITS, capBytes: 0, slackBytes: 0 };
    backlog.pass(NOW);
    assert.deepEqual(present(backlog, [beyond, within]), [false, true]);
  });

  it('for room, removes what has aged most for its class: defects go back three times as far, the newest of both stay', () => {
    // One image every hour for 20 days, every fourth a defect; room for a quarter of them.
    const harness = new PruningHarness(new ModelStore());
    const refs: { ref: ImageRef; at: number; defect: boolean }[] = [];
    for (let hour = 480; hour >= 1; hour--) {
      const at = NOW - hour * HOUR;
      const defect = hour % 4 === 0;
      refs.push({ ref: harness.add(at, `${hour % 3}_x`, defect ? 'kept-longer' : 'normal'), at, defect });
    }
    harness.targets = { ...NO_ROOM_LIMITS, capBytes: 130_000, slackBytes: 5_000 };
    const report = harness.pass(NOW);
    assert.ok(harness.totals.bytes <= 120_000, `${harness.totals.bytes}`);
    assert.equal(report.pruned.size, 480 - harness.totals.images);
    const kept = refs.filter(({ ref }) => harness.store.get(ref));
    const oldest = (defect: boolean) =>
      Math.min(...kept.filter((each) => each.defect === defect).map((each) => each.at));
    const passesBack = NOW - oldest(false);
    const defectsBack = NOW - oldest(true);
    assert.ok(
      Math.abs(defectsBack / passesBack - 3) < 0.2,
      `defects kept ${defectsBack / HOUR} h back, passes ${passesBack / HOUR} h`,
    );
    // Nothing younger than the oldest kept of its class is missing.
    for (const each of refs) {
      if (each.at >= oldest(each.defect))
        assert.ok(harness.store.get(each.ref), new Date(each.at).toISOString());
    }
  });

  it('goes oldest first when neither class has an age limit, and removes defects last when only the others have one', () => {
    const build = (policy: typeof DEFAULT_POLICY) => {
      const harness = new PruningHarness(new ModelStore(), policy, { ...NO_ROOM_LIMITS, capBytes: 2500 });
      const refs = [
        harness.add(NOW - 10 * HOUR, '1_a', 'kept-longer'),
        harness.add(NOW - 9 * HOUR, '1_a', 'normal'),
        harness.add(NOW - 2 * HOUR, '1_a', 'kept-longer'),
        harness.add(NOW - 1 * HOUR, '1_a', 'normal'),
      ];
      harness.pass(NOW);
      return present(harness, refs);
    };
    assert.deepEqual(build({ ...DEFAULT_POLICY, maxAgeMs: Infinity, keptLongerMaxAgeMs: Infinity }), [
      false,
      false,
      true,
      true,
    ]);
    assert.deepEqual(build({ ...DEFAULT_POLICY, keptLongerMaxAgeMs: Infinity }), [true, false, true, false]);
  });

  it('keeps an image whose sidecar gained a review between the walk and its removal', () => {
    const store = new ModelStore();
    const harness = new PruningHarness(store);
    const reviewedMeanwhile = harness.add(NOW - 40 * DAY_MS, '1_a', 'normal');
    const other = harness.add(NOW - 40 * DAY_MS + 1, '1_a', 'normal');
    store.beforeRemove = (ref, image) => {
      if (ref.stem === reviewedMeanwhile.stem) image.kind = 'reviewed';
    };
    const report = harness.pass(NOW);
    assert.deepEqual(present(harness, [reviewedMeanwhile, other]), [true, false]);
    assert.equal(report.pruned.age, 1);
    assert.equal(harness.totals.images, 1);
  });

  it('frees space down to twice the slack above the free-space floor, as the file system reports it', () => {
    const store = new ModelStore(100_000);
    store.otherBytes = 40_000;
    const harness = new PruningHarness(store, DEFAULT_POLICY, {
      ...NO_ROOM_LIMITS,
      minFreeBytes: 10_000,
      diskSlackBytes: 5_000,
    });
    for (let index = 0; index < 45; index++) harness.add(NOW - (45 - index) * HOUR, '1_a', 'normal');
    // 100k - 40k others - 45k images = 15k free: the floor is 10k, the slack 5k.
    assert.equal(harness.passIfRoomWanted(NOW), undefined);
    harness.add(NOW, '1_a', 'normal');
    const report = harness.passIfRoomWanted(NOW)!;
    assert.deepEqual(report.pruned, { age: 0, size: 0, disk: 6 });
    assert.equal(store.freeBytes(), 20_000);
  });

  it('removes the emptied folders of past days, never those of today or yesterday', () => {
    const harness = new PruningHarness(new ModelStore());
    harness.add(NOW - 40 * DAY_MS, '1_a', 'normal');
    harness.add(NOW - 40 * DAY_MS, '2_b', 'kept-longer');
    harness.add(NOW - DAY_MS, '1_a', 'normal');
    const old = new Date(NOW - 40 * DAY_MS).toISOString().slice(0, 10);
    const yesterday = new Date(NOW - DAY_MS).toISOString().slice(0, 10);
    harness.targets = { ...NO_ROOM_LIMITS, capBytes: 2000 };
    harness.pass(NOW);
    assert.deepEqual(harness.store.devices(old), ['2_b']);
    harness.targets = { ...NO_ROOM_LIMITS, capBytes: 0 };
    harness.pass(NOW);
    assert.deepEqual(harness.store.days(), [yesterday]);
    assert.deepEqual(harness.store.devices(yesterday), ['1_a']);
    assert.deepEqual(harness.store.stems(yesterday, '1_a'), []);
  });

  it('walks only the days the start-up scan has counted, until it is over', () => {
    const harness = new PruningHarness(new ModelStore());
    const counted = harness.add(NOW - 50 * DAY_MS, '1_a', 'normal');
    const notYet = harness.add(NOW - 40 * DAY_MS, '1_a', 'normal');
    const totals = harness.totals as unknown as { scanComplete: boolean };
    totals.scanComplete = false;
    harness.totals.markDayScanned(counted.day);
    harness.pass(NOW);
    assert.deepEqual(present(harness, [counted, notYet]), [false, true]);
  });
});

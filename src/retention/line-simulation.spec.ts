import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '#camera-emulator';
import { FakeClock } from '../common/fake-clock.js';
import type { PassReport } from './pruner.js';
import { acceptedAtOf, DAY_MS, isPendingDay, type ImageKind, type PruneReason } from './retention-policy.js';
import type { ImageRef } from './retention-store.js';
import type { RoomTargets } from './room-targets.js';
import { ModelStore } from './testing/model-store.js';
import { DEFAULT_POLICY, NO_ROOM_LIMITS, PruningHarness } from './testing/pruning-harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CAMERAS = 50;
/** One photo per camera every 30 minutes: 2400 images a day, 144 000 in 60 days. */
const SHOT_EVERY_MS = 30 * MINUTE;
const IMAGES_PER_DAY = (CAMERAS * DAY_MS) / SHOT_EVERY_MS;
const DAYS = 60;
/** How often the retention thread applies the age limits. */
const AGE_PASS_MS = 10 * MINUTE;
/** The classifier is down for a day (images pile up unanalysed), from day 20 08:00. */
const OUTAGE = { from: 20 * DAY_MS + 8 * HOUR, to: 21 * DAY_MS + 8 * HOUR };
/** Then works through what waits at this rate. */
const ANALYSED_PER_MINUTE = 40;

interface Tracked {
  readonly ref: ImageRef;
  readonly at: number;
  readonly verdict: 'normal' | 'kept-longer';
  reviewed: boolean;
}

interface LineRun {
  readonly harness: PruningHarness;
  readonly images: Tracked[];
  readonly removed: Map<string, { reason: PruneReason; at: number }>;
  readonly passes: PassReport[];
  readonly maxStoredBytes: number;
  readonly minFreeBytes: number;
  readonly end: number;
}

/**
 * 60 days of a 50-camera line, on a fake clock, against a model of the store: each camera takes a
 * photo every 30 minutes (40-80 KB on disk with its sidecar); 5 % are defects and 2 % uncertain;
 * the classifier analyses each a minute or three after it arrives, except for a day-long outage;
 * a person reviews 0.2 % of them within 5 days. Retention runs as the retention thread runs it:
 * a pass whenever room is wanted after an image is stored, and one for the age limits every 10
 * minutes.
 */
function runLine(
  seed: number,
  targets: RoomTargets,
  store: ModelStore,
  otherBytes?: (now: number) => number,
): LineRun {
  const generator = new SeededRandom(seed);
  const rand = () => generator.next();
  const start = Date.UTC(2026, 0, 1);
  const clock = new FakeClock(start);
  const removed = new Map<string, { reason: PruneReason; at: number }>();
  const harness = new PruningHarness(store, DEFAULT_POLICY, targets, (ref, reason) =>
    removed.set(ref.stem, { reason, at: clock.now() }),
  );
  const images: Tracked[] = [];
  const byStem = new Map<string, Tracked>();
  const waiting: { tracked: Tracked; at: number }[] = [];
  /** Reviews to come, by the minute they come in. */
  const reviews = new Map<number, Tracked[]>();
  const passes: PassReport[] = [];
  let maxStoredBytes = 0;
  let minFreeBytes = Infinity;

  store.afterRemove = (ref, image) => {
    const now = clock.now();
    if (image.kind === 'reviewed' || byStem.get(ref.stem)!.reviewed) {
      assert.fail(`seed ${seed}: reviewed image ${ref.stem} removed`);
    }
    if (image.kind === 'unanalysed' && isPendingDay(ref.day, now, DEFAULT_POLICY)) {
      assert.fail(`seed ${seed}: ${ref.day}/${ref.stem} removed while waiting for analysis`);
    }
  };
  const runPass = (roomOnly: boolean) => {
    const report = roomOnly ? harness.passIfRoomWanted(clock.now()) : harness.loggedPass(clock.now());
    if (report) passes.push(report);
  };
  clock.setInterval(() => runPass(false), AGE_PASS_MS);

  // Each camera 36 s after the one before: the cameras shooting in each minute of the 30.
  const offsets = Array.from({ length: CAMERAS }, (_, camera) => (camera * SHOT_EVERY_MS) / CAMERAS);
  const shootingIn = Array.from({ length: SHOT_EVERY_MS / MINUTE }, (_, minute) =>
    offsets.flatMap((offset, camera) => (Math.floor(offset / MINUTE) === minute ? [camera] : [])),
  );
  let shots = 0;
  const end = start + DAYS * DAY_MS;
  for (let now = start; now < end; now += MINUTE) {
    clock.advance(now - clock.now());
    if (otherBytes) store.otherBytes = otherBytes(now);
    for (const camera of shootingIn[((now - start) % SHOT_EVERY_MS) / MINUTE]!) {
      const at = now + (offsets[camera]! % MINUTE) + Math.floor(rand() * 1000);
      const draw = rand();
      const verdict = draw < 0.07 ? 'kept-longer' : 'normal';
      const ref = harness.add(
        at,
        `${camera}_10.0.0.${camera}`,
        'unanalysed',
        40_000 + Math.floor(rand() * 40_000),
      );
      const tracked: Tracked = { ref, at, verdict, reviewed: false };
      images.push(tracked);
      byStem.set(ref.stem, tracked);
      waiting.push({ tracked, at: at + MINUTE + Math.floor(rand() * 2 * MINUTE) });
      if (rand() < 0.002) {
        const minute = now + MINUTE * (1 + Math.floor(rand() * 5 * 1440));
        reviews.set(minute, [...(reviews.get(minute) ?? []), tracked]);
      }
      shots++;
      runPass(true);
    }
    // The classifier: what is due, unless it is down; after the outage, the backlog at its pace.
    const sinceStart = now - start;
    if (sinceStart < OUTAGE.from || sinceStart >= OUTAGE.to) {
      let analysed = 0;
      while (waiting.length > 0 && waiting[0]!.at <= now && analysed < ANALYSED_PER_MINUTE) {
        const { tracked } = waiting.shift()!;
        analysed++;
        if (!store.get(tracked.ref) || tracked.reviewed) continue;
        harness.setKind(tracked.ref, tracked.verdict);
      }
    }
    for (const tracked of reviews.get(now) ?? []) {
      if (!store.get(tracked.ref)) continue;
      tracked.reviewed = true;
      harness.setKind(tracked.ref, 'reviewed');
    }
    reviews.delete(now);
    maxStoredBytes = Math.max(maxStoredBytes, harness.totals.bytes);
    const free = store.freeBytes();
    if (free !== undefined) minFreeBytes = Math.min(minFreeBytes, free);
  }
  assert.equal(shots, CAMERAS * DAYS * (DAY_MS / SHOT_EVERY_MS));
  return { harness, images, removed, passes, maxStoredBytes, minFreeBytes, end };
}

function seedFromEnvironment(): number {
  return Number(process.env.RETENTION_SEED ?? Math.floor(Math.random() * 2 ** 31));
}

describe('retention over 60 days of a 50-camera line (fake clock, model store)', () => {
  it('with room to spare: passes go after 30 days, defects and reviews stay, nothing younger is touched', () => {
    const seed = seedFromEnvironment();
    const run = runLine(seed, NO_ROOM_LIMITS, new ModelStore());
    const { images, removed, end } = run;
    const context = `seed ${seed} (RETENTION_SEED=${seed} replays it)`;
    for (const image of images) {
      const age = end - image.at;
      const gone = removed.get(image.ref.stem);
      if (image.verdict === 'kept-longer' || image.reviewed) {
        assert.equal(gone, undefined, `${context}: ${image.ref.stem} (${image.verdict}) removed`);
      } else if (gone) {
        assert.equal(gone.reason, 'age', context);
        const ageWhenRemoved = gone.at - image.at;
        assert.ok(
          ageWhenRemoved > 30 * DAY_MS && ageWhenRemoved <= 30 * DAY_MS + AGE_PASS_MS,
          `${context}: ${ageWhenRemoved}`,
        );
      } else {
        assert.ok(
          age <= 30 * DAY_MS + AGE_PASS_MS,
          `${context}: ${image.ref.stem} still there at ${age / DAY_MS} days`,
        );
      }
    }
    assert.ok(removed.size > 0.9 * 30 * IMAGES_PER_DAY * 0.93, `${context}: ${removed.size} removed`);
    // Once a pass per 10 minutes from day 30 on, each one line.
    assert.ok(run.passes.length >= 30 * 144 - 10, `${context}: ${run.passes.length} passes`);
  });

  it('with a cap of six days and a file system shared with a growing spool: never over, never short of room', () => {
    const seed = seedFromEnvironment();
    const context = `seed ${seed} (RETENTION_SEED=${seed} replays it)`;
    const dayOfImages = IMAGES_PER_DAY * 60_000;
    const capBytes = 6 * dayOfImages;
    const targets: RoomTargets = {
      capBytes,
      slackBytes: capBytes / 100,
      minFreeBytes: dayOfImages / 4,
      diskSlackBytes: capBytes / 100,
    };
    const store = new ModelStore(capBytes * 1.2);
    // Other files on the volume: from nothing to a third of the cap and back, every ten days.
    const others = (now: number) =>
      ((Math.sin((2 * Math.PI * now) / (10 * DAY_MS)) + 1) / 2) * (capBytes / 3);
    const run = runLine(seed, targets, store, others);
    const { harness, images, removed, end } = run;
    assert.ok(run.maxStoredBytes <= capBytes, `${context}: ${run.maxStoredBytes} stored, cap ${capBytes}`);
    assert.ok(run.minFreeBytes >= targets.minFreeBytes, `${context}: ${run.minFreeBytes} free at the least`);
    const reasons = new Set([...removed.values()].map((each) => each.reason));
    assert.deepEqual(
      [...reasons].sort(),
      ['disk', 'size'],
      `${context}: removed for ${[...reasons].join(', ')}`,
    );
    // The newest day is all there, and no reviewed image was ever removed (checked as they went).
    for (const image of images) {
      if (end - image.at <= DAY_MS && !harness.store.get(image.ref))
        assert.fail(`${context}: newest ${image.ref.stem} missing`);
    }
    // Defects reach three times as far back as passes (reviews aside).
    const kept = [...harness.store.all()].filter(({ image }) => image.kind !== 'reviewed');
    const oldestOf = (kind: ImageKind) =>
      Math.min(
        ...kept.filter(({ image }) => image.kind === kind).map(({ ref }) => acceptedAtOf(ref.day, ref.stem)),
      );
    const ratio = (end - oldestOf('kept-longer')) / (end - oldestOf('normal'));
    assert.ok(ratio > 2.5 && ratio < 3.5, `${context}: defects kept ${ratio.toFixed(2)} times as far back`);
    assert.deepEqual(
      run.passes.filter((report) => report.unmet).map((report) => report.unmet),
      [],
      `${context}: passes that could not make room`,
    );
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RetentionEngine } from './retention-engine.js';
import { DAY_MS } from './retention-policy.js';
import { seedStore, type SeedImage, type SeededImage } from './testing/seed-store.js';
import { testWorkerData } from './testing/worker-data.js';
import type { FromRetentionWorker, RetentionWorkerData } from './worker-messages.js';

const roots: string[] = [];

function allocated(image: SeededImage): number {
  return statSync(image.imagePath).blocks * 512 + statSync(image.sidecarPath).blocks * 512;
}

function engineFor(
  root: string,
  overrides: Partial<RetentionWorkerData> = {},
): { engine: RetentionEngine; messages: FromRetentionWorker[]; run: () => void } {
  const messages: FromRetentionWorker[] = [];
  const data = testWorkerData(root, {
    settings: { RETENTION_MAX_BYTES: '0', MIN_FREE_DISK_BYTES: 0, MAX_IMAGE_BYTES: 64 * 1024 },
    startedAt: Date.now() - 60_000,
    countedBefore: Date.now() - 60_000,
    ...overrides,
  });
  const engine = new RetentionEngine(data, (message) => messages.push(message));
  return {
    engine,
    messages,
    run() {
      engine.start();
      for (let slices = 0; engine.work(50); slices++) assert.ok(slices < 10_000, 'the engine never settles');
    },
  };
}

function ofType<T extends FromRetentionWorker['type']>(
  messages: FromRetentionWorker[],
  type: T,
): Extract<FromRetentionWorker, { type: T }>[] {
  return messages.filter(
    (message): message is Extract<FromRetentionWorker, { type: T }> => message.type === type,
  );
}

describe('RetentionEngine over a real store', () => {
  after(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('scans the store: counts whole images, reports halves, removes old temporary files, leaves new ones', () => {
    const root = mkdtempSync(join(tmpdir(), 'retention-engine-'));
    roots.push(root);
    const now = Date.now();
    const seeds: SeedImage[] = [];
    for (let index = 0; index < 12; index++) {
      seeds.push({
        acceptedAt: now - 3 * DAY_MS + index * 60_000,
        deviceId: 1 + (index % 2),
        kind: 'normal',
        imageBytes: 5000,
      });
    }
    const whole = seedStore(root, seeds);
    const halves = seedStore(root, [
      { acceptedAt: now - 2 * DAY_MS, deviceId: 5, kind: 'normal', imageBytes: 100, only: 'image' },
      { acceptedAt: now - 2 * DAY_MS + 1, deviceId: 5, kind: 'normal', imageBytes: 100, only: 'sidecar' },
    ]);
    const folder = join(root, whole[0]!.imageId.split('/').slice(0, 2).join('/'));
    const oldTemporary = join(folder, '.x.jpg.1234.tmp');
    const newTemporary = join(folder, '.y.jpg.5678.tmp');
    writeFileSync(oldTemporary, 'left by a crash');
    utimesSync(oldTemporary, new Date(now - DAY_MS), new Date(now - DAY_MS));
    writeFileSync(newTemporary, 'being written');
    // An image this process stored meanwhile: its `stored` message counts it, not the scan.
    const [fresh] = seedStore(root, [
      { acceptedAt: now - 1000, deviceId: 9, kind: 'unanalysed', imageBytes: 700 },
    ]);
    const freshTime = new Date(now);
    utimesSync(fresh!.imagePath, freshTime, freshTime);

    const { messages, run } = engineFor(root);
    run();
    const [scanned] = ofType(messages, 'scanned');
    assert.equal(scanned!.images, 12);
    assert.equal(
      scanned!.bytes,
      whole.reduce((sum, image) => sum + allocated(image), 0),
    );
    assert.equal(scanned!.temporaryRemoved, 1);
    assert.deepEqual(
      ofType(messages, 'orphans').flatMap((message) => message.orphans),
      [
        { imageId: halves[0]!.imageId, part: 'image' },
        { imageId: halves[1]!.imageId, part: 'sidecar' },
      ],
    );
    assert.equal(existsSync(oldTemporary), false);
    assert.equal(existsSync(newTemporary), true);
    assert.deepEqual(ofType(messages, 'totals').at(-1), {
      type: 'totals',
      bytes: scanned!.bytes,
      images: 12,
      scanned: true,
    });
  });

  it('prunes past the age limits once the scan is over, and to the cap as images are stored', () => {
    const root = mkdtempSync(join(tmpdir(), 'retention-engine-'));
    roots.push(root);
    const now = Date.now();
    const old = seedStore(root, [
      { acceptedAt: now - 40 * DAY_MS, deviceId: 1, kind: 'normal', imageBytes: 10_000 },
      { acceptedAt: now - 40 * DAY_MS + 1, deviceId: 1, kind: 'kept-longer', imageBytes: 10_000 },
      { acceptedAt: now - 40 * DAY_MS + 2, deviceId: 1, kind: 'reviewed', imageBytes: 10_000 },
    ]);
    const recent = seedStore(
      root,
      Array.from({ length: 20 }, (_, index) => ({
        acceptedAt: now - 20 * DAY_MS + index * 1000,
        deviceId: 2,
        kind: 'normal' as const,
        imageBytes: 30_000,
      })),
    );
    const perImage = allocated(recent[0]!);
    const cap = 12 * perImage;
    const { engine, messages, run } = engineFor(root, {
      settings: { RETENTION_MAX_BYTES: String(cap), MIN_FREE_DISK_BYTES: 0, MAX_IMAGE_BYTES: 30_000 },
    });
    run();
    assert.deepEqual(
      old.map((image) => existsSync(image.imagePath)),
      [false, true, true],
    );
    const removedFor = (reason: string) =>
      ofType(messages, 'removed')
        .filter((message) => message.reason === reason)
        .flatMap((message) => message.imageIds);
    assert.deepEqual(removedFor('age'), [old[0]!.imageId]);
    const kept = recent.filter((image) => existsSync(image.imagePath));
    // The oldest went first, down to twice the slack (two images of MAX_IMAGE_BYTES and their sidecars) under the cap.
    assert.deepEqual(kept, recent.slice(recent.length - kept.length));
    assert.deepEqual(
      removedFor('size'),
      recent.slice(0, recent.length - kept.length).map((image) => image.imageId),
    );
    const totals = ofType(messages, 'totals').at(-1)!;
    assert.ok(totals.bytes <= cap, `${totals.bytes} stored, cap ${cap}`);
    const onDisk = [...old.slice(1), ...kept].reduce((sum, image) => sum + allocated(image), 0);
    assert.equal(totals.bytes, onDisk);
    const passes = ofType(messages, 'pass');
    assert.ok(passes.length >= 1);
    assert.equal(passes.at(-1)!.report.oldestKeptAt, now - 40 * DAY_MS + 1);

    // Stored now: counted, and the pass it starts makes room again.
    messages.length = 0;
    const [stored] = seedStore(root, [
      { acceptedAt: now, deviceId: 2, kind: 'unanalysed', imageBytes: 300_000 },
    ]);
    const ref = stored!.imageId.split('/');
    engine.handle({ type: 'stored', day: ref[0]!, device: ref[1]!, stem: ref[2]! });
    while (engine.work(50));
    assert.ok(existsSync(stored!.imagePath), 'the newest image stays');
    assert.ok(ofType(messages, 'totals').at(-1)!.bytes <= cap);
    assert.ok(removedFor('size').length > 0);
  });

  it('feeds what the scan finds, a batch at a time, with records from the day asked', () => {
    const root = mkdtempSync(join(tmpdir(), 'retention-engine-'));
    roots.push(root);
    const now = Date.now();
    const seeded = seedStore(root, [
      { acceptedAt: now - 3 * DAY_MS, deviceId: 1, kind: 'normal', imageBytes: 100 },
      { acceptedAt: now - 2 * DAY_MS, deviceId: 1, kind: 'normal', imageBytes: 100 },
      { acceptedAt: now - 2 * DAY_MS, deviceId: 2, kind: 'kept-longer', imageBytes: 100 },
    ]);
    const fromDay = new Date(now - 2 * DAY_MS).toISOString().slice(0, 10);
    const { engine, messages } = engineFor(root, { feedFound: true, recordsFromDay: fromDay });
    engine.start();
    const batches: string[][] = [];
    for (let rounds = 0; rounds < 100; rounds++) {
      engine.work(50);
      const found = ofType(messages, 'found').slice(batches.length);
      if (found.length > 1) assert.fail('a second batch before the first was taken');
      if (found.length === 1) {
        batches.push(
          found[0]!.images.map((image) => `${image.imageId} ${image.record ? 'record' : 'no record'}`),
        );
        engine.handle({ type: 'scan-more' });
      }
      if (ofType(messages, 'scanned').length > 0) break;
    }
    assert.deepEqual(batches, [
      [`${seeded[0]!.imageId} no record`],
      [`${seeded[1]!.imageId} record`],
      [`${seeded[2]!.imageId} record`],
    ]);
  });
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sumSamples } from '../bench/src/gateway-child.js';
import { DAY_MS, type ImageKind } from '../src/retention/retention-policy.js';
import { seedStore, type SeedImage } from '../src/retention/testing/seed-store.js';
import { GatewayProcess } from './support/gateway-process.js';
import { eventually } from './support/prometheus-tools.js';
import { storeUsage } from './support/store-usage.js';

interface LogLine {
  readonly msg: string;
  readonly [field: string]: unknown;
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/**
 * A store left by an earlier gateway (written directly: months of it in a moment), with what a
 * crash leaves: JPEGs without their sidecars, sidecars without their JPEGs, a temporary file. The
 * gateway, a process of its own as in production, starts on it.
 */
describe('retention at start-up: the scan, the crash leftovers, the age limits', () => {
  let root: string;
  let storageDir: string;
  let gateway: GatewayProcess;
  const now = Date.now();
  const seeds: (SeedImage & { survives: boolean })[] = [];
  let seededIds: string[] = [];
  let leftovers: string[] = [];
  let temporary: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'e2e-retention-startup-'));
    storageDir = join(root, 'images');
    const kinds: [ImageKind, number][] = [
      ['normal', 30],
      ['normal', 30],
      ['kept-longer', 90],
    ];
    for (const daysAgo of [100, 95, 80, 45, 31, 29, 10, 1]) {
      for (const deviceId of [1, 2]) {
        kinds.forEach(([kind, keptDays], index) =>
          seeds.push({
            acceptedAt: now - daysAgo * DAY_MS + index * 1000 + deviceId,
            deviceId,
            kind,
            imageBytes: 3000 + index * 1000,
            survives: daysAgo < keptDays,
          }),
        );
      }
    }
    seeds.push({
      acceptedAt: now - 100 * DAY_MS + 5,
      deviceId: 3,
      kind: 'reviewed',
      imageBytes: 2000,
      survives: true,
    });
    seeds.push({
      acceptedAt: now - 45 * DAY_MS + 5,
      deviceId: 3,
      kind: 'reviewed',
      imageBytes: 2000,
      survives: true,
    });
    seededIds = seedStore(storageDir, seeds).map((image) => image.imageId);
    const halves: SeedImage[] = [
      ...[1, 2, 3].map((index) => ({
        acceptedAt: now - 5 * DAY_MS + index,
        deviceId: 4,
        kind: 'normal' as const,
        imageBytes: 999,
        only: 'image' as const,
      })),
      ...[4, 5].map((index) => ({
        acceptedAt: now - 5 * DAY_MS + index,
        deviceId: 4,
        kind: 'normal' as const,
        imageBytes: 999,
        only: 'sidecar' as const,
      })),
    ];
    leftovers = seedStore(storageDir, halves).map((image) => image.imageId);
    temporary = join(dirname(join(storageDir, `${seededIds[0]}.jpg`)), `.left-by-a-crash.jpg.0badcafe.tmp`);
    await writeFile(temporary, 'half a photo');
    await utimes(temporary, new Date(now - DAY_MS), new Date(now - DAY_MS));

    gateway = await GatewayProcess.create({ STORAGE_DIR: storageDir });
    await gateway.start();
  });

  after(async () => {
    await gateway?.terminate();
    await rm(root, { recursive: true, force: true });
  });

  const linesOf = (msg: string | RegExp) =>
    logLines(gateway.output).filter((line) =>
      typeof msg === 'string' ? line.msg === msg : msg.test(line.msg),
    );

  it('scans the store after start, removes each crash leftover with one line, and sums up', async () => {
    const [scanned] = await eventually(
      'the scan summary',
      async () => linesOf('store scanned')[0] && linesOf('store scanned'),
      15_000,
    );
    assert.equal(scanned!.images, seeds.length);
    assert.equal(scanned!.imagesWithoutSidecar, 3);
    assert.equal(scanned!.sidecarsWithoutImage, 2);
    assert.equal(scanned!.temporaryRemoved, 1);
    const removed = linesOf(/removed \(a crash/).map((line) => line.imageId);
    assert.deepEqual(removed.sort(), [...leftovers].sort());
    for (const id of leftovers) {
      assert.equal(
        existsSync(join(storageDir, `${id}.jpg`)) || existsSync(join(storageDir, `${id}.json`)),
        false,
        id,
      );
    }
    assert.equal(existsSync(temporary), false);
  });

  it('removes what is past its age limit in one pass, with one line, and keeps the reviewed', async () => {
    const [pass] = await eventually(
      'the pruning pass',
      async () => (linesOf('pruning pass').length > 0 ? linesOf('pruning pass') : undefined),
      15_000,
    );
    const expectedGone = seeds.filter((seed) => !seed.survives).length;
    assert.deepEqual(pass!.reasons, { age: expectedGone, size: 0, disk: 0 });
    assert.equal(pass!.images, expectedGone);
    assert.equal(pass!.oldestKept, new Date(now - 100 * DAY_MS + 5).toISOString());
    const survivors = seededIds.filter((_, index) => seeds[index]!.survives);
    assert.deepEqual((await storeUsage(storageDir)).imageIds.sort(), [...survivors].sort());
    assert.equal(linesOf('pruning pass').length, 1);
  });

  it('reports the totals, as the disk has them, in the metrics and the readiness check', async () => {
    const usage = await storeUsage(storageDir);
    const text = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
    assert.equal(sumSamples(text, 'cable_inspector_storage_images'), usage.images);
    assert.equal(sumSamples(text, 'cable_inspector_storage_bytes'), usage.bytes);
    assert.equal(
      sumSamples(text, 'cable_inspector_images_pruned_total', { reason: 'age' }),
      seeds.length - usage.images,
    );
    const ready = (await (await fetch(`http://127.0.0.1:${gateway.httpPort}/health/ready`)).json()) as {
      details: { storage: Record<string, unknown> };
    };
    assert.equal(ready.details.storage.inventory, 'complete');
    assert.equal(ready.details.storage.storedImages, usage.images);
    assert.equal(ready.details.storage.storedBytes, usage.bytes);
  });

  it('after a restart, finds the same store, and nothing left to repair or remove', async () => {
    const usage = await storeUsage(storageDir);
    assert.equal(await gateway.terminate(), 0);
    gateway.output = '';
    await gateway.start();
    const [scanned] = await eventually(
      'the second scan summary',
      async () => linesOf('store scanned')[0] && linesOf('store scanned'),
      15_000,
    );
    assert.equal(scanned!.images, usage.images);
    assert.equal(scanned!.bytes, usage.bytes);
    assert.equal(scanned!.imagesWithoutSidecar, 0);
    assert.equal(scanned!.sidecarsWithoutImage, 0);
    // The age pass after the scan finds nothing to remove: no line.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(linesOf('pruning pass'), []);
    assert.deepEqual(linesOf(/removed \(a crash/), []);
  });
});

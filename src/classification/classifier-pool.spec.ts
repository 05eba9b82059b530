import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClassifierPool, ModelLoadError, type PoolOptions } from './classifier-pool.js';
import { writeTinyModel } from './testing-model.js';
import { singleModel } from './worker-protocol.js';

const FIXTURE = join('test', 'fixtures', 'esp32cam-xga.jpg');
const LABELS = ['good', 'cut_insulation', 'kink'];

describe('ClassifierPool', () => {
  let dir: string;
  let pool: ClassifierPool;
  /** A one-worker pool of the tiny model, on wasm. */
  const poolWith = (options: Partial<PoolOptions>) =>
    new ClassifierPool({
      models: singleModel(join(dir, 'model')),
      backend: 'wasm',
      workers: 1,
      queueMax: 4,
      batchMax: 8,
      ...options,
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pool-'));
    await writeTinyModel(join(dir, 'model'), LABELS);
    pool = poolWith({});
  });

  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the model in its workers and reports backend, labels and input size', async () => {
    const model = await pool.start();
    assert.equal(model.backend, 'wasm');
    assert.deepEqual(model.labels, LABELS);
    assert.deepEqual(model.inputSize, [16, 16]);
    assert.match(model.modelId, /^[0-9a-f]{12}$/);
  });

  it('classifies the real ESP32-CAM photo into one score per label', async () => {
    const outcome = await pool.classify(FIXTURE);
    assert.ok(outcome?.ok, JSON.stringify(outcome));
    assert.equal(outcome.scores.length, LABELS.length);
    assert.ok(Math.abs(outcome.scores.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  });

  it('reports a corrupt JPEG as undecodable and goes on classifying', async () => {
    const corrupt = join(dir, 'corrupt.jpg');
    await writeFile(corrupt, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]));
    const [bad, good] = await Promise.all([pool.classify(corrupt), pool.classify(FIXTURE)]);
    assert.equal(bad?.ok, false);
    assert.equal(bad?.ok === false && bad.reason, 'undecodable');
    assert.equal(good?.ok, true);
  });

  it('refuses work beyond its queue instead of growing without bound', async () => {
    const accepted = Array.from({ length: 12 }, () => pool.classify(FIXTURE));
    assert.ok(accepted.some((outcome) => outcome === undefined));
    await Promise.all(accepted);
  });

  it('keeps a backlog lane of its own, and tells each image as its classifying starts', async () => {
    const told: string[] = [];
    const started = poolWith({
      queueMax: 4,
      batchMax: 2,
      onStarted: (imagePaths) => told.push(...imagePaths),
    });
    await started.start();
    try {
      const accepted: Promise<unknown>[] = [];
      while (started.hasRoom('backlog')) {
        const count = accepted.length;
        accepted.push(
          started
            .classify(FIXTURE, 'backlog')!
            .then(() => assert.ok(told.length > count, 'told before its outcome')),
        );
      }
      assert.equal(started.classify(FIXTURE, 'backlog'), undefined, 'the backlog lane is full');
      assert.ok(started.hasRoom('fresh'), 'the fresh lane has room of its own');
      await Promise.all(accepted);
      assert.equal(told.length, accepted.length, 'each told once');
      assert.ok(told.every((path) => path === FIXTURE));
    } finally {
      await started.close();
    }
  });

  it('starts decoding fresh images before the backlog images waiting in their lane', async () => {
    const started: string[] = [];
    const lanes = poolWith({
      queueMax: 8,
      batchMax: 2,
      backlogMax: 8,
      onStarted: (paths) => started.push(...paths),
    });
    await lanes.start();
    try {
      // One file per image, so that the pool's report of what starts names each.
      const photo = await readFile(FIXTURE);
      const photoNamed = async (name: string) => {
        const path = join(dir, `${name}.jpg`);
        await writeFile(path, photo);
        return path;
      };
      const backlogPaths = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((index) => photoNamed(`backlog-${index}`)),
      );
      const freshPaths = await Promise.all([photoNamed('fresh-1'), photoNamed('fresh-2')]);
      const outcomes = await Promise.all([
        ...backlogPaths.map((path) => lanes.classify(path, 'backlog')!),
        ...freshPaths.map((path) => lanes.classify(path, 'fresh')!),
      ]);
      const order = started.map((path) => basename(path, '.jpg'));
      // The first two backlog images had left their lane (two decode at once); the others waited in it.
      assert.deepEqual(order.slice(0, 4), ['backlog-1', 'backlog-2', 'fresh-1', 'fresh-2'], order.join(', '));
      assert.ok(outcomes.every((outcome) => outcome.ok && outcome.batchSize >= 1 && outcome.batchSize <= 2));
      assert.ok(outcomes.at(-1)!.waitedMs > 0, 'the fresh ones waited for a decoder');
    } finally {
      await lanes.close();
    }
  });

  it('when it closes, gives what it had not classified back as closed', async () => {
    const closing = poolWith({ queueMax: 2, batchMax: 1 });
    await closing.start();
    const outcomes = [closing.classify(FIXTURE)!, closing.classify(FIXTURE)!, closing.classify(FIXTURE)!];
    await closing.close();
    const reasons = (await Promise.all(outcomes)).map((outcome) => (outcome.ok ? 'ok' : outcome.reason));
    assert.ok(reasons.includes('closed'), reasons.join(', '));
    assert.ok(reasons.every((reason) => reason === 'closed' || reason === 'ok'));
  });

  it('fails to start with an error naming the model path when the model is missing', async () => {
    const missing = poolWith({ models: singleModel(join(dir, 'nowhere')) });
    await assert.rejects(missing.start(), (error: unknown) => {
      assert.ok(error instanceof ModelLoadError);
      assert.match(error.message, /nowhere/);
      return true;
    });
  });
});

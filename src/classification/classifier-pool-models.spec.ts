import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTinyLayersModel } from '../../libs/vision/src/testing/tiny-models.js';
import { ClassifierPool, ModelLoadError, type ClassifiedImage } from './classifier-pool.js';
import { writeTinyModel } from './testing-model.js';
import type { ModelSource } from './worker-protocol.js';

const FIXTURE = join('test', 'fixtures', 'esp32cam-xga.jpg');

describe('ClassifierPool, models swapped while it works', () => {
  let dir: string;
  const source = (name: string): ModelSource => ({ name, dir: join(dir, name) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pool-models-'));
    await writeTinyModel(join(dir, 'tiny'), ['good', 'kink']);
    await writeTinyModel(join(dir, 'three'), ['good', 'frayed', 'kink']);
    // Same architecture as `tiny`, other weights: only its weights tell it apart.
    await writeTinyLayersModel(join(dir, 'retrained'), {
      size: 16,
      kernel: [
        [0.5, -0.5],
        [0.2, 0.1],
        [-0.3, 0.4],
      ],
      bias: [0.1, -0.1],
      metadata: { labels: ['good', 'kink'], imageSize: 16 },
    });
    // Another input size: the shadow model decodes the image again, for itself.
    await writeTinyLayersModel(join(dir, 'wide'), {
      size: 24,
      kernel: [
        [1, 0],
        [0, 1],
        [0, 0],
      ],
      bias: [0, 0],
      metadata: { labels: ['good', 'kink'], imageSize: 24 },
    });
    await mkdir(join(dir, 'broken'));
    await writeFile(join(dir, 'broken', 'model.json'), '{"modelTopology": ');
  });

  after(() => rm(dir, { recursive: true, force: true }));

  const poolOf = (active: string, workers = 1) =>
    new ClassifierPool({
      models: { active: source(active) },
      backend: 'wasm',
      workers,
      queueMax: 64,
      batchMax: 2,
    });

  it('swaps the model without losing or refusing an image; each outcome names the model that made it', async () => {
    const pool = poolOf('tiny', 2);
    await pool.start();
    try {
      const before = Array.from({ length: 12 }, () => pool.classify(FIXTURE)!);
      const swapped = await pool.useModels({ active: source('retrained') });
      const afterwards = Array.from({ length: 4 }, () => pool.classify(FIXTURE)!);
      const outcomes = await Promise.all([...before, ...afterwards]);
      assert.ok(
        outcomes.every((outcome) => outcome.ok),
        'every image classified',
      );
      const names = outcomes.map((outcome) => outcome.models!.active.name);
      assert.equal(names[0], 'tiny', 'the first went to a worker before the swap');
      assert.deepEqual(names.slice(12), ['retrained', 'retrained', 'retrained', 'retrained']);
      assert.equal(pool.model?.name, 'retrained');
      assert.notEqual(swapped.active.modelId, outcomes[0]!.models!.active.modelId, 'other weights, other id');
    } finally {
      await pool.close();
    }
  });

  it('swaps to a model of another input size under a steady flow: images decoded for the old one are decoded again', async () => {
    const pool = poolOf('tiny', 2);
    await pool.start();
    try {
      const outcomes: Promise<ClassifiedImage>[] = [];
      let swapped = false;
      const swap = pool.useModels({ active: source('wide') }).finally(() => (swapped = true));
      // Images keep coming while the new generation loads, so that some are decoded (for 16 px)
      // and waiting for a worker at the moment it takes over; then a few more.
      while (!swapped && outcomes.length < 2000) {
        while (pool.backlog < 8) outcomes.push(pool.classify(FIXTURE)!);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await swap;
      for (let i = 0; i < 4; i++) outcomes.push(pool.classify(FIXTURE)!);
      const settled = await Promise.all(outcomes);
      const failed = settled.filter((outcome) => !outcome.ok);
      assert.deepEqual(failed, [], 'every image classified by the model it was decoded for');
      const names = settled.map((outcome) => outcome.models!.active.name);
      assert.ok(names.includes('tiny'));
      assert.deepEqual(names.slice(-4), ['wide', 'wide', 'wide', 'wide']);
    } finally {
      await pool.close();
    }
  });

  it('refuses a broken model with an error naming it, and goes on with the model in use', async () => {
    const pool = poolOf('tiny');
    await pool.start();
    try {
      await assert.rejects(pool.useModels({ active: source('broken') }), (error: unknown) => {
        assert.ok(error instanceof ModelLoadError);
        assert.match(error.message, /broken/);
        assert.match(error.message, /not valid JSON/);
        return true;
      });
      assert.equal(pool.model?.name, 'tiny');
      const outcome = await pool.classify(FIXTURE)!;
      assert.ok(outcome.ok);
      assert.equal(outcome.models?.active.name, 'tiny');
    } finally {
      await pool.close();
    }
  });

  it('runs a shadow model beside the active one, of other labels or another input size', async () => {
    const pool = poolOf('tiny');
    await pool.start();
    try {
      await pool.useModels({ active: source('tiny'), shadow: source('three') });
      const [three] = await Promise.all([pool.classify(FIXTURE)!]);
      assert.ok(three.ok && three.shadow?.ok);
      assert.equal(three.scores.length, 2);
      assert.equal(three.shadow.scores.length, 3);
      assert.equal(three.models?.shadow?.name, 'three');

      await pool.useModels({ active: source('tiny'), shadow: source('wide') });
      const wide = await pool.classify(FIXTURE)!;
      assert.ok(wide.ok && wide.shadow?.ok, JSON.stringify(wide));
      assert.deepEqual(wide.models?.shadow?.inputSize, [24, 24]);
      assert.deepEqual(wide.scores, three.scores, 'the active model is not changed by its shadow');

      await assert.rejects(pool.useModels({ active: source('tiny'), shadow: source('broken') }), /broken/);
      assert.equal(pool.models?.shadow?.name, 'wide', 'a shadow that does not load changes nothing');

      await pool.useModels({ active: source('tiny') });
      const alone = await pool.classify(FIXTURE)!;
      assert.ok(alone.ok);
      assert.equal(alone.shadow, undefined);
    } finally {
      await pool.close();
    }
  });

  it('starts without a shadow model that does not load, and says why', async () => {
    const failures: string[] = [];
    const pool = new ClassifierPool({
      models: { active: source('tiny'), shadow: source('broken') },
      backend: 'wasm',
      workers: 1,
      queueMax: 4,
      batchMax: 1,
      onShadowFailure: (message) => failures.push(message),
    });
    try {
      await pool.start();
      assert.equal(pool.models?.shadow, undefined);
      assert.match(failures[0] ?? '', /broken/);
    } finally {
      await pool.close();
    }
  });
});

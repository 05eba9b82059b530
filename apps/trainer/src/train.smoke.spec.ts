import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

import { classifyImage, loadModel } from '#vision';
import { noisyPhoto as photo } from '../../../libs/vision/src/testing/noisy-photos.js';
import { storeTestImage } from '../../../src/classification/testing-images.js';
import { FakeClock } from '../../../src/common/fake-clock.js';
import { ImageStore } from '../../../src/storage/image-store.js';
import { parseTrainArgs } from './args.js';
import { trainClassifier, TrainingLog } from './run.js';

describe('trainClassifier (smoke)', () => {
  let root: string;
  const messages: string[] = [];
  const log: TrainingLog = {
    info: (m) => messages.push(m),
    progress: () => undefined,
    epoch: (s) => messages.push(`epoch ${s.epoch}`),
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'trainer-smoke-'));
    const colours: Record<string, [number, number, number]> = {
      copper: [200, 120, 60],
      white: [235, 235, 230],
    };
    for (const [label, rgb] of Object.entries(colours)) {
      await mkdir(join(root, 'data', label), { recursive: true });
      for (let i = 0; i < 6; i++)
        await writeFile(join(root, 'data', label, `${i}.jpg`), await photo(rgb, i + 1));
    }
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('trains one epoch, saves a model the vision loader reads, and writes the report', async () => {
    const out = join(root, 'model');
    const args = parseTrainArgs([
      '--data',
      join(root, 'data'),
      '--out',
      out,
      '--epochs',
      '1',
      '--size',
      '16',
      '--batch-size',
      '4',
    ]);
    const summary = await trainClassifier(args, log);

    assert.deepEqual(summary.labels, ['copper', 'white']);
    assert.ok(summary.heldOutAccuracy >= 0 && summary.heldOutAccuracy <= 1);
    assert.ok(messages.includes('epoch 1'));
    assert.ok(messages.some((m) => m.startsWith('held-out accuracy')));

    const model = await loadModel(out);
    try {
      assert.equal(model.kind, 'layers');
      assert.deepEqual(model.labels, ['copper', 'white']);
      assert.deepEqual(model.input, { width: 16, height: 16, channels: 3 });
      assert.deepEqual(model.preprocessing, { crop: 'centre', scaling: { divisor: 127, offset: -1 } });
      assert.equal(model.metadata.heldOutAccuracy, Math.round(summary.heldOutAccuracy * 1e4) / 1e4);
      assert.equal(typeof model.metadata.trainedAt, 'string');
      const result = await classifyImage(model, await readFile(join(root, 'data', 'white', '0.jpg')));
      assert.equal(result.scores.length, 2);
    } finally {
      model.dispose();
    }

    const report = await readFile(join(out, 'report.md'), 'utf8');
    assert.match(report, /Held-out test accuracy: \d+\.\d %/);
    assert.match(report, /\| actual \\ predicted \| copper \| white \|/);
    assert.match(report, /\| label \| precision \| recall \| F1 \| support \|/);
    assert.match(await readFile(join(out, 'training-curve.svg'), 'utf8'), /^<svg /);
    const png = await sharp(join(out, 'training-curve.png')).metadata();
    assert.equal(png.format, 'png');
    assert.ok((await stat(join(out, 'weights.bin'))).size > 0);
  });

  it("fine-tunes from a model on a store's reviewed images, with a new label, beside the model it started from", async () => {
    const storageDir = join(root, 'store');
    const clock = new FakeClock(Date.UTC(2026, 11, 1, 8));
    const store = new ImageStore(storageDir, clock);
    const colours: Record<string, [number, number, number]> = {
      copper: [200, 120, 60],
      white: [235, 235, 230],
      blue: [40, 60, 200],
    };
    let n = 0;
    for (const [label, rgb] of Object.entries(colours)) {
      for (let i = 0; i < 6; i++) {
        clock.advance(5000);
        const stored = await storeTestImage(store, await photo(rgb, 100 + n), {
          transferId: `t${String(n).padStart(4, '0')}`,
          deviceId: n % 2,
          port: 40000,
          at: clock.now(),
        });
        n++;
        // One unreviewed image of each: not trained on.
        if (i < 5)
          await store.updateRecord(stored, { review: { label, at: new Date(clock.now()).toISOString() } });
      }
    }
    const base = join(root, 'model');
    const tuned = join(root, 'tuned');
    const summary = await trainClassifier(
      parseTrainArgs([
        '--store',
        storageDir,
        '--from',
        base,
        '--compare',
        base,
        '--out',
        tuned,
        '--epochs',
        '1',
        '--batch-size',
        '4',
      ]),
      log,
    );
    assert.deepEqual(
      summary.labels,
      ['copper', 'white', 'blue'],
      "the base model's labels, then the new one",
    );
    assert.ok(messages.some((m) => m === `store ${storageDir}: 15 reviewed images`));
    assert.equal(summary.comparison?.model, 'model');
    const model = await loadModel(tuned);
    try {
      assert.deepEqual(model.labels, ['copper', 'white', 'blue']);
      assert.deepEqual(model.input, { width: 16, height: 16, channels: 3 }, "the base model's input");
      assert.equal(model.metadata.from, 'model');
      assert.equal(model.metadata.split, 'by time');
    } finally {
      model.dispose();
    }
    const report = await readFile(join(tuned, 'report.md'), 'utf8');
    assert.match(report, /fine-tuned from `model`/);
    assert.match(report, /## Against the model in use/);
    assert.match(report, /\| \*\*accuracy\*\* \| \d+\.\d % \| \d+\.\d % \|/);
    assert.match(report, /\d+ of them have a label it does not know/);
  });
});

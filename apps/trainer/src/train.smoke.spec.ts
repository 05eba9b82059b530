import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

import { classifyImage, loadModel } from '#vision';
import { parseTrainArgs } from './args.js';
import { trainFromFolder, TrainingLog } from './run.js';

/** A noisy JPEG mostly of one colour, with a darker diagonal bar. */
async function photo(rgb: [number, number, number], seed: number): Promise<Buffer> {
  const width = 64;
  const height = 48;
  const raw = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    const bar = Math.abs(x - y - 8) < 4 ? 0.5 : 1;
    for (let c = 0; c < 3; c++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      raw[i * 3 + c] = Math.max(0, Math.min(255, rgb[c] * bar + ((s / 2147483648) * 40 - 20)));
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

describe('trainFromFolder (smoke)', () => {
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
    const summary = await trainFromFolder(args, log);

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
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';

import { parseSynthArgs } from './args.js';
import { DEFAULT_LINE, LINES } from './lines.js';
import { generateDataset, renderCablePhoto } from './generate.js';
import { Prng } from './prng.js';
import { CABLE_LABELS, sampleScene } from './scene.js';

describe('Prng', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const values = Array.from({ length: 1000 }, () => a.next());
    assert.deepEqual(
      values,
      Array.from({ length: 1000 }, () => b.next()),
    );
    assert.ok(values.every((v) => v >= 0 && v < 1));
    assert.notDeepEqual(values.slice(0, 5), Array.from({ length: 5 }, new Prng(43).next, new Prng(43)));
  });

  it('derives independent named streams', () => {
    assert.equal(Prng.derive(1, 'kink', 3).next(), Prng.derive(1, 'kink', 3).next());
    assert.notEqual(Prng.derive(1, 'kink', 3).next(), Prng.derive(1, 'kink', 4).next());
    assert.notEqual(Prng.derive(1, 'kink', 3).next(), Prng.derive(2, 'kink', 3).next());
  });
});

describe('sampleScene', () => {
  it('keeps the inspected cable and its defect inside the centred square a model crops', () => {
    for (const label of CABLE_LABELS) {
      for (let i = 0; i < 200; i++) {
        const scene = sampleScene(Prng.derive(9, label, i), label, 320, 240);
        const { x, y } = scene.cable.anchor;
        assert.ok(x > 40 + 30 && x < 280 - 30 && y > 30 && y < 210, `${label} ${i}: anchor ${x}, ${y}`);
        assert.equal(
          scene.defect.kind,
          { good: 'none', cut_insulation: 'cut', exposed_conductor: 'exposed', kink: 'kink' }[label],
        );
      }
    }
  });
});

describe('renderCablePhoto', () => {
  it('renders a camera-like JPEG of the requested size', async () => {
    const jpeg = await renderCablePhoto('exposed_conductor', 0, 5, 320, 240);
    const meta = await sharp(jpeg).metadata();
    assert.deepEqual(
      [meta.format, meta.width, meta.height, meta.channels, meta.chromaSubsampling],
      ['jpeg', 320, 240, 3, '4:2:0'],
    );
  });

  it('is deterministic: same seed, label and index give the same bytes', async () => {
    const [a, b, c] = await Promise.all([
      renderCablePhoto('kink', 3, 11, 160, 120),
      renderCablePhoto('kink', 3, 11, 160, 120),
      renderCablePhoto('kink', 3, 12, 160, 120),
    ]);
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
  });
});

describe('lines', () => {
  it('renders the default line as it always did: the same seed, the same bytes', async () => {
    const jpeg = await renderCablePhoto('good', 0, 2024, 320, 240);
    assert.equal(createHash('sha256').update(jpeg).digest('hex').slice(0, 16), '2357ba9814ad8206');
  });

  it('renders another line: thinner cables of its colours on a dark belt, darker overall', async () => {
    const conveyor = LINES.conveyor!;
    for (let i = 0; i < 50; i++) {
      const scene = sampleScene(Prng.derive(3, 'good', i), 'good', 320, 240, conveyor);
      assert.equal(scene.background.kind, 'belt');
      assert.ok(scene.cable.style.width >= 9 && scene.cable.style.width < 16);
      assert.ok(conveyor.insulation.includes(scene.cable.style.colour));
    }
    const mean = async (jpeg: Buffer) => (await sharp(jpeg).stats()).channels.map((channel) => channel.mean);
    const [desk, belt] = await Promise.all([
      renderCablePhoto('kink', 4, 9, 160, 120).then(mean),
      renderCablePhoto('kink', 4, 9, 160, 120, conveyor).then(mean),
    ]);
    assert.ok(belt[0]! < desk[0]! / 2, `belt ${belt} against desk ${desk}`);
  });
});

describe('generateDataset', () => {
  it('writes <out>/<label>/<n>.jpg and reports progress', async () => {
    const out = await mkdtemp(join(tmpdir(), 'synth-'));
    try {
      const progress: number[] = [];
      const written = await generateDataset({
        out,
        labels: ['good', 'kink'],
        perClass: 2,
        seed: 1,
        width: 96,
        height: 72,
        onProgress: ({ done }) => progress.push(done),
      });
      assert.equal(written, 4);
      assert.deepEqual(progress, [1, 2, 3, 4]);
      assert.deepEqual((await readdir(out)).sort(), ['good', 'kink']);
      assert.deepEqual((await readdir(join(out, 'kink'))).sort(), ['0.jpg', '1.jpg']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('parseSynthArgs', () => {
  it('reads the options with defaults', () => {
    assert.deepEqual(parseSynthArgs(['--out', 'data', '--per-class', '5', '--seed', '7']), {
      out: 'data',
      perClass: 5,
      seed: 7,
      labels: [...CABLE_LABELS],
      width: 320,
      height: 240,
      line: DEFAULT_LINE,
      firstIndex: 0,
    });
    assert.deepEqual(parseSynthArgs(['--out', 'd', '--labels', 'good,kink', '--size', '160x120']).labels, [
      'good',
      'kink',
    ]);
  });

  it('explains what is wrong', () => {
    assert.throws(() => parseSynthArgs([]), /--out is required/);
    assert.throws(() => parseSynthArgs(['--out', 'd', '--per-class', '0']), /at least 1/);
    assert.throws(() => parseSynthArgs(['--out', 'd', '--seed', 'x']), /must be an integer/);
    assert.throws(
      () => parseSynthArgs(['--out', 'd', '--labels', 'good,frayed']),
      /unknown label\(s\): frayed/,
    );
    assert.throws(() => parseSynthArgs(['--out', 'd', '--size', 'big']), /--size/);
    assert.throws(() => parseSynthArgs(['--out', 'd', '--bogus']), /bogus/);
  });
});

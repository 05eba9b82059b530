import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { selectBackend, Tf } from './backend.js';
import { classify, classifyBatch, classifyImage } from './classify.js';
import { InputShapeMismatchError } from './errors.js';
import { LoadedModel, loadModel } from './model-loader.js';
import { preprocessImage } from './preprocess.js';
import {
  makeTempDir,
  softmax,
  solidPng,
  writeTeachableMachineExport,
  writeTinyGraphModel,
  writeTinyLayersModel,
} from './testing/tiny-models.js';

const FIXTURE = fileURLToPath(new URL('../../../../test/fixtures/esp32cam-xga.jpg', import.meta.url));

function assertClose(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `score ${i}: ${v} vs ${expected[i]}`));
}

describe('classify', () => {
  let tf: Tf;
  let root: string;
  let cleanup: () => Promise<void>;
  let layers: LoadedModel;
  let graph: LoadedModel;

  before(async () => {
    ({ tf } = await selectBackend('wasm'));
    ({ dir: root, cleanup } = await makeTempDir('classify'));
    // Logits = mean scaled (r, g, b) . identity + (0, 0.5, 0).
    await writeTinyLayersModel(join(root, 'layers'), {
      size: 8,
      kernel: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      bias: [0, 0.5, 0],
      metadata: { labels: ['good', 'cut_insulation', 'kink'] },
    });
    layers = await loadModel(join(root, 'layers'));
    // Logits = (r - g, 0) over the mean scaled colour.
    await writeTinyGraphModel(join(root, 'graph'), {
      size: 4,
      w: [1, 0, -1, 0, 0, 0],
      b: [0, 0],
      labels: ['red', 'other'],
    });
    graph = await loadModel(join(root, 'graph'));
  });

  after(async () => {
    layers.dispose();
    graph.dispose();
    await cleanup();
  });

  const prepare = async (model: LoadedModel, rgb: [number, number, number]) =>
    preprocessImage(await solidPng(40, 30, rgb), { size: model.input, preprocessing: model.preprocessing });

  it('scores one image with a layers model', async () => {
    // (254, 127, 0) scales to (1, 0, -1): logits (1, 0.5, -1).
    const result = await classify(layers, await prepare(layers, [254, 127, 0]));
    const expected = softmax([1, 0.5, -1]);
    assertClose(result.scores, expected);
    assert.deepEqual(result.best, { index: 0, label: 'good', score: result.scores[0] });
  });

  it('scores a batch in input order', async () => {
    const images = [
      await prepare(layers, [0, 0, 254]),
      await prepare(layers, [127, 127, 127]),
      await prepare(layers, [0, 254, 0]),
    ];
    const results = await classifyBatch(layers, images);
    assert.deepEqual(
      results.map((r) => r.best.label),
      ['kink', 'cut_insulation', 'cut_insulation'],
    );
    assertClose(results[0].scores, softmax([-1, -0.5, 1]));
    assertClose(results[1].scores, softmax([0, 0.5, 0]));
    assert.deepEqual(await classifyBatch(layers, []), []);
  });

  it('scores with a hand-written graph model', async () => {
    const [red, grey] = await classifyBatch(graph, [
      await prepare(graph, [254, 0, 0]),
      await prepare(graph, [127, 127, 127]),
    ]);
    assertClose(red.scores, softmax([2, 0]));
    assert.equal(red.best.label, 'red');
    assertClose(grey.scores, [0.5, 0.5]);
  });

  it('classifies the ESP32-CAM JPEG with a Teachable Machine export', async () => {
    await writeTeachableMachineExport(join(root, 'tm'), ['cable', 'no cable']);
    const tm = await loadModel(join(root, 'tm'));
    try {
      const result = await classifyImage(tm, await readFile(FIXTURE));
      assert.equal(result.scores.length, 2);
      assert.ok(Math.abs(result.scores[0] + result.scores[1] - 1) < 1e-5);
      assert.ok(['cable', 'no cable'].includes(result.best.label));
    } finally {
      tm.dispose();
    }
  });

  it('rejects an input of the wrong size', async () => {
    const wrong = await preprocessImage(await solidPng(8, 8, [0, 0, 0]), {
      size: { width: 5, height: 5, channels: 3 },
    });
    await assert.rejects(classify(layers, wrong), InputShapeMismatchError);
  });

  it('leaves no tensors behind', async () => {
    const image = await prepare(layers, [10, 20, 30]);
    await classify(layers, image);
    const before = tf.memory().numTensors;
    await classifyBatch(layers, [image, image]);
    await classify(graph, await prepare(graph, [1, 2, 3]));
    assert.equal(tf.memory().numTensors, before);
  });
});

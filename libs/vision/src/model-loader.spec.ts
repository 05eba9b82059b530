import assert from 'node:assert/strict';
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { selectBackend } from './backend.js';
import {
  InvalidModelFileError,
  LabelCountMismatchError,
  LabelsNotFoundError,
  ModelDirectoryNotFoundError,
  ModelJsonNotFoundError,
  WeightDataSizeError,
  WeightShardNotFoundError,
} from './errors.js';
import { TEACHABLE_MACHINE_PREPROCESSING } from './model-format.js';
import { loadModel } from './model-loader.js';
import {
  makeTempDir,
  writeTeachableMachineExport,
  writeTinyGraphModel,
  writeTinyLayersModel,
} from './testing/tiny-models.js';

const IDENTITY = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

describe('loadModel', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let n = 0;
  /** A fresh sub-directory of the temp root for each case. */
  const fresh = () => join(root, `case-${++n}`);

  before(async () => {
    await selectBackend('wasm');
    ({ dir: root, cleanup } = await makeTempDir('loader'));
  });
  after(() => cleanup());

  async function layersModel(metadata: Record<string, unknown> = { labels: ['good', 'cut', 'kink'] }) {
    const dir = fresh();
    await writeTinyLayersModel(dir, { size: 8, kernel: IDENTITY, bias: [0, 0, 0], metadata });
    return dir;
  }

  describe('formats', () => {
    it('loads a layers model saved as model.json + weights.bin + metadata.json', async () => {
      const dir = await layersModel({
        labels: ['good', 'cut', 'kink'],
        preprocessing: { crop: 'stretch', scaling: { divisor: 255, offset: 0 } },
      });
      const model = await loadModel(dir);
      try {
        assert.equal(model.kind, 'layers');
        assert.equal(model.dir, dir);
        assert.deepEqual(model.labels, ['good', 'cut', 'kink']);
        assert.deepEqual(model.input, { width: 8, height: 8, channels: 3 });
        assert.deepEqual(model.preprocessing, { crop: 'stretch', scaling: { divisor: 255, offset: 0 } });
        const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
        assert.equal(modelJson.format, 'layers-model');
        assert.deepEqual(modelJson.weightsManifest[0].paths, ['weights.bin']);
      } finally {
        model.dispose();
      }
    });

    it('loads a Teachable Machine export with its conventions: 224 input, centre crop, x / 127 - 1', async () => {
      const dir = fresh();
      await writeTeachableMachineExport(dir, ['Class 1', 'Class 2']);
      const model = await loadModel(dir);
      try {
        assert.equal(model.kind, 'layers');
        assert.deepEqual(model.labels, ['Class 1', 'Class 2']);
        assert.deepEqual(model.input, { width: 224, height: 224, channels: 3 });
        assert.deepEqual(model.preprocessing, TEACHABLE_MACHINE_PREPROCESSING);
        assert.equal(model.metadata.packageName, '@teachablemachine/image');
      } finally {
        model.dispose();
      }
    });

    it('loads a graph model with labels from labels.json and its size from the input placeholder', async () => {
      const dir = fresh();
      await writeTinyGraphModel(dir, { size: 4, w: [1, -1, 0, 0, 0, 0], b: [0, 0], labels: ['good', 'bad'] });
      const model = await loadModel(dir);
      try {
        assert.equal(model.kind, 'graph');
        assert.deepEqual(model.labels, ['good', 'bad']);
        assert.deepEqual(model.input, { width: 4, height: 4, channels: 3 });
        assert.deepEqual(model.preprocessing, TEACHABLE_MACHINE_PREPROCESSING);
      } finally {
        model.dispose();
      }
    });

    it('tells the kind from modelTopology when model.json has no format field', async () => {
      const dir = fresh();
      await writeTinyGraphModel(dir, { size: 4, w: [1, -1, 0, 0, 0, 0], b: [0, 0], labels: ['good', 'bad'] });
      const path = join(dir, 'model.json');
      const { format: _format, ...withoutFormat } = JSON.parse(await readFile(path, 'utf8'));
      await writeFile(path, JSON.stringify(withoutFormat));
      const model = await loadModel(dir);
      assert.equal(model.kind, 'graph');
      model.dispose();
    });

    it('uses labels.json when metadata.json has no labels', async () => {
      const dir = await layersModel({ modelName: 'no labels here' });
      await writeFile(join(dir, 'labels.json'), JSON.stringify(['a', 'b', 'c']));
      const model = await loadModel(dir);
      assert.deepEqual(model.labels, ['a', 'b', 'c']);
      model.dispose();
    });
  });

  describe('errors name the path', () => {
    it('missing directory', async () => {
      const dir = join(root, 'nowhere');
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof ModelDirectoryNotFoundError);
        assert.equal(error.path, dir);
        assert.equal(error.message, `model directory not found: ${dir}`);
        return true;
      });
    });

    it('missing model.json', async () => {
      const dir = await layersModel();
      await rm(join(dir, 'model.json'));
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof ModelJsonNotFoundError);
        assert.equal(error.message, `model.json not found: ${join(dir, 'model.json')}`);
        return true;
      });
    });

    it('model.json that is not JSON', async () => {
      const dir = await layersModel();
      await writeFile(join(dir, 'model.json'), '{"modelTopology": ');
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof InvalidModelFileError);
        assert.ok(error.message.startsWith(`invalid model file ${join(dir, 'model.json')}: not valid JSON`));
        return true;
      });
    });

    it('metadata.json that is not JSON', async () => {
      const dir = await layersModel();
      await writeFile(join(dir, 'metadata.json'), 'labels: [good]');
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof InvalidModelFileError);
        assert.equal(error.path, join(dir, 'metadata.json'));
        return true;
      });
    });

    it('model.json without a weightsManifest', async () => {
      const dir = await layersModel();
      await writeFile(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: {} }));
      await assert.rejects(loadModel(dir), /weightsManifest/);
    });

    it('missing weight shard', async () => {
      const dir = await layersModel();
      await rm(join(dir, 'weights.bin'));
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof WeightShardNotFoundError);
        assert.equal(
          error.message,
          `weight shard listed in model.json not found: ${join(dir, 'weights.bin')}`,
        );
        return true;
      });
    });

    it('truncated weight shard', async () => {
      const dir = await layersModel();
      await truncate(join(dir, 'weights.bin'), 10);
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof WeightDataSizeError);
        // 3x3 kernel + 3 biases, float32.
        assert.match(error.message, /hold 10 bytes, weightsManifest expects 48/);
        assert.ok(error.message.includes(join(dir, 'model.json')));
        return true;
      });
    });

    it('a shard path that leaves the model directory', async () => {
      const dir = await layersModel();
      const path = join(dir, 'model.json');
      const json = JSON.parse(await readFile(path, 'utf8'));
      json.weightsManifest[0].paths = ['../../etc/passwd'];
      await writeFile(path, JSON.stringify(json));
      await assert.rejects(loadModel(dir), /points outside the model directory/);
    });

    it('label count different from the model output size', async () => {
      const dir = await layersModel({ labels: ['good', 'bad'] });
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof LabelCountMismatchError);
        assert.equal(
          error.message,
          `${join(dir, 'metadata.json')} lists 2 labels but the model outputs 3 scores`,
        );
        assert.deepEqual([error.labelCount, error.outputSize], [2, 3]);
        return true;
      });
    });

    it('label count mismatch in labels.json', async () => {
      const dir = fresh();
      await writeTinyGraphModel(dir, { size: 4, w: [1, -1, 0, 0, 0, 0], b: [0, 0], labels: ['only one'] });
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof LabelCountMismatchError);
        assert.equal(error.path, join(dir, 'labels.json'));
        return true;
      });
    });

    it('no labels anywhere', async () => {
      const dir = await layersModel({});
      await assert.rejects(loadModel(dir), (error: unknown) => {
        assert.ok(error instanceof LabelsNotFoundError);
        assert.ok(error.message.includes(dir));
        return true;
      });
    });

    it('labels that are not a list of names', async () => {
      const dir = await layersModel({ labels: 'good,cut,kink' });
      await assert.rejects(loadModel(dir), /"labels" must be an array/);
    });
  });
});

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelCatalog, ModelNotFoundError, previousModel } from './model-catalog.js';

describe('ModelCatalog', () => {
  let root: string;
  const modelsDir = () => join(root, 'models');

  async function model(dir: string, metadata?: unknown): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.json'), '{}');
    if (metadata !== undefined) await writeFile(join(dir, 'metadata.json'), JSON.stringify(metadata));
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'catalog-'));
    await model(join(root, 'models', 'line-a'), {
      labels: ['good', 'kink'],
      trainedAt: '2026-12-01T00:00:00Z',
    });
    await model(join(root, 'models', 'line-b'));
    await writeFile(join(root, 'models', 'line-b', 'report.md'), '# report');
    await mkdir(join(root, 'models', 'not-a-model'));
    await model(join(root, 'image', 'default'), { labels: ['good'] });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('lists the folders holding a model, and MODEL_DIR outside MODELS_DIR as built in', async () => {
    const catalog = new ModelCatalog(modelsDir(), join(root, 'image', 'default'));
    const entries = await catalog.list();
    assert.deepEqual(
      entries.map((entry) => [entry.name, entry.builtIn, entry.report]),
      [
        ['line-a', false, false],
        ['line-b', false, true],
        ['default', true, false],
      ],
    );
    assert.deepEqual(entries[0]!.metadata?.labels, ['good', 'kink']);
    assert.equal((await catalog.source('default')).dir, join(root, 'image', 'default'));
  });

  it('refuses names of no model, and names that are not names', async () => {
    const catalog = new ModelCatalog(modelsDir(), join(root, 'image', 'default'));
    await assert.rejects(catalog.source('not-a-model'), ModelNotFoundError);
    await assert.rejects(catalog.source('../image/default'), /not a model name/);
    await assert.rejects(catalog.source('missing'), /no model missing/);
  });

  it('starts with MODEL_DIR until a choice is recorded, then with the choice; keeps the history', async () => {
    const catalog = new ModelCatalog(modelsDir(), join(root, 'image', 'default'));
    assert.deepEqual((await catalog.startChoice()).choice, { active: catalog.fallback });
    assert.equal(previousModel(await catalog.readState()), undefined);
    const lineA = await catalog.source('line-a');
    await catalog.record({ active: lineA }, { active: catalog.fallback }, new Date('2026-12-01T10:00:00Z'));
    await catalog.record({ active: await catalog.source('line-b'), shadow: lineA }, { active: lineA });
    const state = await catalog.readState();
    assert.deepEqual(
      state?.history.map((entry) => entry.name),
      ['default', 'line-a', 'line-b'],
    );
    assert.equal(state?.history[0]?.activatedAt, null);
    assert.equal(previousModel(state), 'line-a');
    const { choice } = await catalog.startChoice();
    assert.deepEqual([choice.active.name, choice.shadow?.name], ['line-b', 'line-a']);
    assert.match(await readFile(catalog.stateFile, 'utf8'), /"active": "line-b"/);
  });

  it('stops start-up for a recorded model that is gone, and leaves out a shadow that is', async () => {
    const dir = join(root, 'gone');
    const catalog = new ModelCatalog(dir, join(root, 'image', 'default'));
    await model(join(dir, 'kept'));
    await writeFile(catalog.stateFile, JSON.stringify({ active: 'kept', shadow: 'deleted', history: [] }));
    const started = await catalog.startChoice();
    assert.deepEqual([started.choice.active.name, started.choice.shadow], ['kept', undefined]);
    assert.match(started.shadowProblem ?? '', /no model deleted/);
    await writeFile(catalog.stateFile, JSON.stringify({ active: 'deleted', shadow: null, history: [] }));
    await assert.rejects(catalog.startChoice(), /names deleted as the active model.*--offline/);
    await writeFile(catalog.stateFile, '{ torn');
    await assert.rejects(catalog.startChoice(), /is not JSON/);
  });
});

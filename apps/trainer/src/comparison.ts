import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

import { classifyImage, loadModel } from '#vision';
import { ModelCatalog } from '../../../src/classification/model-catalog.js';
import type { Sample } from './samples.js';

/** How another model (the one in use) does on the same held-out images as the trained one. */
export interface Comparison {
  readonly model: string;
  readonly dir: string;
  readonly accuracy: number;
  /** Per label of the trained model, in its order: the share of its images the other model found (NaN: none). */
  readonly recall: readonly number[];
  /** Held-out images whose label the other model does not have (it cannot be right on them). */
  readonly unknownLabels: number;
}

/**
 * The model to compare with: `--compare`, else the model in use (MODELS_DIR/active.json, else
 * MODEL_DIR, as the gateway would start with); undefined for `none` or when none can be found.
 */
export async function comparedModelDir(compare: string | undefined): Promise<string | undefined> {
  if (compare === 'none') return undefined;
  if (compare !== undefined) return resolve(compare);
  const catalog = new ModelCatalog(
    process.env.MODELS_DIR ?? 'models',
    process.env.MODEL_DIR ?? join('models', 'default'),
  );
  try {
    return (await catalog.startChoice()).choice.active.dir;
  } catch {
    return undefined;
  }
}

/** Classifies `test` with the model at `dir` (as the gateway would) and scores it against their labels. */
export async function compareOnHeldOut(
  dir: string,
  test: readonly Sample[],
  labels: readonly string[],
  onProgress?: (done: number, total: number) => void,
): Promise<Comparison> {
  const model = await loadModel(dir);
  try {
    const support = labels.map(() => 0);
    const found = labels.map(() => 0);
    let correct = 0;
    let done = 0;
    for (const sample of test) {
      const { best } = await classifyImage(model, await readFile(sample.path));
      const label = labels.indexOf(sample.label);
      support[label]!++;
      if (best.label === sample.label) {
        correct++;
        found[label]!++;
      }
      onProgress?.(++done, test.length);
    }
    return {
      model: basename(dir),
      dir,
      accuracy: test.length === 0 ? NaN : correct / test.length,
      recall: support.map((count, index) => (count === 0 ? NaN : found[index]! / count)),
      unknownLabels: test.filter((sample) => !model.labels.includes(sample.label)).length,
    };
  } finally {
    model.dispose();
  }
}

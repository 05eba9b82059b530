import { parseArgs } from 'node:util';

import type { BackendPreference } from '#vision';

/** How the held-out images are kept apart from the training ones (see `splitSamples`). */
export type SplitBy = 'time' | 'device';

export interface TrainArgs {
  /** Folders of `<label>/*.jpg`. */
  readonly data: readonly string[];
  /** A gateway's STORAGE_DIR: its reviewed images. */
  readonly store?: string;
  readonly out: string;
  /** A model to start from (fine-tuning); its input size and preprocessing are kept. */
  readonly from?: string;
  /** The model to compare with on the held-out images; undefined: the one in use, `none`: no comparison. */
  readonly compare?: string;
  /** A labelled folder to hold out instead of a part of the data. */
  readonly test?: string;
  readonly splitBy: SplitBy;
  /** Consecutive frames of a camera differing in less than this share of pixels are one group, never split. */
  readonly nearIdentical: number;
  readonly epochs: number;
  readonly seed: number;
  /** Square model input, pixels (a `from` model's own size wins). */
  readonly size: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly testFraction: number;
  readonly validationFraction: number;
  readonly backend: BackendPreference;
}

export const USAGE = `Usage: npm run train -- (--data <dir> | --store <STORAGE_DIR>) --out <model dir> [options]

Trains an image classifier and writes model.json, weights.bin, metadata.json, report.md and
training-curve.svg/png to <model dir>.
  --data dir             a folder of <label>/*.jpg (repeatable)
  --store dir            a gateway's STORAGE_DIR: every image a person reviewed, under its label
  --from dir             start from this model (fine-tuning; its input size and preprocessing are kept)
  --compare dir|none     compare with this model on the held-out images (default: the model in use,
                         from MODELS_DIR/active.json, else MODEL_DIR, else models/default)
  --test dir             hold out this folder of <label>/*.jpg instead of a part of the data
  --split-by time|device hold out by capture time (the newest images of each label, default) or by
                         camera (whole devices); near-identical frames are never split either way
  --near-identical f     consecutive frames of a camera that differ in less than this share of their
                         pixels are near-identical (default 0.005)
  --epochs n             training epochs (default 20)
  --seed s               integer seed for the split, initial weights and shuffling (default 1)
  --size px              square model input (default 64; with --from, that model's)
  --batch-size n         (default 16)
  --learning-rate r      Adam learning rate (default 0.005, 0.001 with --from)
  --test-fraction f      share of each label held out for the final test (default 0.2)
  --validation-fraction f share of each label used to pick the best epoch (default 0.1)
  --backend b            auto | tensorflow | wasm | cpu (default auto)`;

const BACKENDS: readonly string[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string', multiple: true, default: [] },
      store: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      compare: { type: 'string' },
      test: { type: 'string' },
      'split-by': { type: 'string', default: 'time' },
      'near-identical': { type: 'string', default: '0.005' },
      epochs: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      size: { type: 'string', default: '64' },
      'batch-size': { type: 'string', default: '16' },
      'learning-rate': { type: 'string' },
      'test-fraction': { type: 'string', default: '0.2' },
      'validation-fraction': { type: 'string', default: '0.1' },
      backend: { type: 'string', default: 'auto' },
    },
    strict: true,
  });
  if (values.data.length === 0 && !values.store) throw new Error('--data or --store is required');
  if (!values.out) throw new Error('--out is required');
  if (!BACKENDS.includes(values.backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}`);
  if (values['split-by'] !== 'time' && values['split-by'] !== 'device')
    throw new Error('--split-by must be time or device');
  const testFraction = fraction('--test-fraction', values['test-fraction']);
  const validationFraction = fraction('--validation-fraction', values['validation-fraction']);
  if ((testFraction <= 0 && !values.test) || testFraction + validationFraction >= 1) {
    throw new Error('--test-fraction must be > 0 and the two fractions must sum to less than 1');
  }
  const learningRate = Number(values['learning-rate'] ?? (values.from ? '0.001' : '0.005'));
  if (!(learningRate > 0 && learningRate < 1)) throw new Error('--learning-rate must be between 0 and 1');
  const nearIdentical = fraction('--near-identical', values['near-identical']);
  return {
    data: values.data,
    store: values.store,
    out: values.out,
    from: values.from,
    compare: values.compare,
    test: values.test,
    splitBy: values['split-by'],
    nearIdentical,
    epochs: integer('--epochs', values.epochs, 1),
    seed: integer('--seed', values.seed, 0),
    size: integer('--size', values.size, 16),
    batchSize: integer('--batch-size', values['batch-size'], 1),
    learningRate,
    testFraction,
    validationFraction,
    backend: values.backend as BackendPreference,
  };
}

function integer(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`${name} must be an integer >= ${min}, got ${text}`);
  return n;
}

function fraction(name: string, text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n < 1)) throw new Error(`${name} must be in [0, 1), got ${text}`);
  return n;
}

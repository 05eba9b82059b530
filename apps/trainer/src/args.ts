import { parseArgs } from 'node:util';

import type { BackendPreference } from '#vision';

export interface TrainArgs {
  readonly data: string;
  readonly out: string;
  readonly epochs: number;
  readonly seed: number;
  /** Square model input, pixels. */
  readonly size: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly testFraction: number;
  readonly validationFraction: number;
  readonly backend: BackendPreference;
}

export const USAGE = `Usage: npm run train -- --data <dir> --out <model dir> [options]

Trains an image classifier on <dir>/<label>/*.jpg and writes model.json, weights.bin, metadata.json,
report.md and training-curve.svg/png to <model dir>.
  --epochs n             training epochs (default 20)
  --seed s               integer seed for the split, initial weights and shuffling (default 1)
  --size px              square model input (default 64)
  --batch-size n         (default 16)
  --learning-rate r      Adam learning rate (default 0.005)
  --test-fraction f      share of each label held out for the final test (default 0.2)
  --validation-fraction f share of each label used to pick the best epoch (default 0.1)
  --backend b            auto | tensorflow | wasm | cpu (default auto)`;

const BACKENDS: readonly string[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      epochs: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      size: { type: 'string', default: '64' },
      'batch-size': { type: 'string', default: '16' },
      'learning-rate': { type: 'string', default: '0.005' },
      'test-fraction': { type: 'string', default: '0.2' },
      'validation-fraction': { type: 'string', default: '0.1' },
      backend: { type: 'string', default: 'auto' },
    },
    strict: true,
  });
  if (!values.data) throw new Error('--data is required');
  if (!values.out) throw new Error('--out is required');
  if (!BACKENDS.includes(values.backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}`);
  const testFraction = fraction('--test-fraction', values['test-fraction']);
  const validationFraction = fraction('--validation-fraction', values['validation-fraction']);
  if (testFraction <= 0 || testFraction + validationFraction >= 1) {
    throw new Error('--test-fraction must be > 0 and the two fractions must sum to less than 1');
  }
  const learningRate = Number(values['learning-rate']);
  if (!(learningRate > 0 && learningRate < 1)) throw new Error('--learning-rate must be between 0 and 1');
  return {
    data: values.data,
    out: values.out,
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

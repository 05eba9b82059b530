import { parseArgs } from 'node:util';

import { DEFAULT_LINE, LINES, lineNamed, type Line } from './lines.js';
import { CABLE_LABELS, CableLabel, isCableLabel } from './scene.js';

export interface SynthArgs {
  readonly out: string;
  readonly perClass: number;
  readonly seed: number;
  readonly labels: readonly CableLabel[];
  readonly width: number;
  readonly height: number;
  readonly line: Line;
  readonly firstIndex: number;
}

export const USAGE = `Usage: npm run synth -- --out <dir> [--per-class <n>] [--seed <s>] [--labels a,b] [--size 320x240] [--line desk]

Writes <dir>/<label>/<n>.jpg: synthetic ESP32-CAM photos of cables on a production line.
  --out          output directory (created)
  --per-class    images per label (default 100)
  --seed         integer seed; the same seed gives the same images (default 1)
  --labels       comma-separated subset of: ${CABLE_LABELS.join(', ')} (default all)
  --size         image size WIDTHxHEIGHT (default 320x240, QVGA)
  --line         the line: ${Object.values(LINES)
    .map((line) => `${line.name} (${line.description})`)
    .join('; ')} (default ${DEFAULT_LINE.name})
  --first-index  number of the first image of each label (default 0): another range, other images`;

/** Parses the command line; throws an Error whose message is meant for the user. */
export function parseSynthArgs(argv: readonly string[]): SynthArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string' },
      'per-class': { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      labels: { type: 'string', default: CABLE_LABELS.join(',') },
      size: { type: 'string', default: '320x240' },
      line: { type: 'string', default: DEFAULT_LINE.name },
      'first-index': { type: 'string', default: '0' },
    },
    strict: true,
  });
  if (!values.out) throw new Error('--out is required');
  const labels = values.labels.split(',').map((l) => l.trim());
  const unknown = labels.filter((l) => !isCableLabel(l));
  if (unknown.length > 0) throw new Error(`unknown label(s): ${unknown.join(', ')}`);
  const size = /^(\d+)x(\d+)$/.exec(values.size);
  if (!size) throw new Error(`--size must look like 320x240, got ${values.size}`);
  const [width, height] = [Number(size[1]), Number(size[2])];
  const line = lineNamed(values.line);
  if (!line) throw new Error(`--line must be one of ${Object.keys(LINES).join(', ')}, got ${values.line}`);
  const firstIndex = integer('--first-index', values['first-index']);
  if (firstIndex < 0) throw new Error(`--first-index must be at least 0, got ${firstIndex}`);
  if (width < 32 || height < 32 || width > 1600 || height > 1200) {
    throw new Error('--size must be between 32x32 and 1600x1200');
  }
  return {
    out: values.out,
    perClass: positiveInteger('--per-class', values['per-class']),
    seed: integer('--seed', values.seed),
    labels: [...new Set(labels)] as CableLabel[],
    width,
    height,
    line,
    firstIndex,
  };
}

function integer(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${text}`);
  return n;
}

function positiveInteger(name: string, text: string): number {
  const n = integer(name, text);
  if (n < 1) throw new Error(`${name} must be at least 1, got ${text}`);
  return n;
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

import type { Comparison } from './comparison.js';
import { trainingCurveSvg } from './curve.js';
import { ClassMetrics, ConfusionMatrix } from './metrics.js';
import type { EpochStats } from './train.js';

export interface TrainingReport {
  readonly trainedAt: string;
  readonly dataset: string;
  /** The model it was fine-tuned from. */
  readonly from?: string;
  readonly labels: readonly string[];
  readonly imagesPerLabel: readonly number[];
  readonly split: {
    readonly train: number;
    readonly validation: number;
    readonly test: number;
    /** How the held-out images were kept apart; groups: what was split (never two sides of one). */
    readonly how?: string;
    readonly groups?: number;
  };
  readonly seed: number;
  readonly backend: string;
  readonly input: { readonly width: number; readonly height: number; readonly channels: number };
  readonly parameters: number;
  readonly weightBytes: number;
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly trainingSeconds: number;
  readonly history: readonly EpochStats[];
  readonly heldOutAccuracy: number;
  readonly confusion: ConfusionMatrix;
  readonly perClass: readonly ClassMetrics[];
  /** Mean milliseconds to classify one preprocessed image (batch of one) on `backend`. */
  readonly inferenceMsPerImage: number;
  /** The model in use, on the same held-out images. */
  readonly comparison?: Comparison;
}

export const REPORT_FILES = {
  markdown: 'report.md',
  svg: 'training-curve.svg',
  png: 'training-curve.png',
} as const;

/** Writes report.md, training-curve.svg and training-curve.png into `dir`. */
export async function writeReport(dir: string, report: TrainingReport): Promise<void> {
  const svg = trainingCurveSvg(
    report.history,
    report.bestEpoch,
    `Training curves (${report.labels.length} classes)`,
  );
  await writeFile(join(dir, REPORT_FILES.svg), svg);
  await sharp(Buffer.from(svg))
    .png({ compressionLevel: 9, palette: true })
    .toFile(join(dir, REPORT_FILES.png));
  await writeFile(join(dir, REPORT_FILES.markdown), reportMarkdown(report));
}

const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : 'n/a');
const num = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** The trained model beside the model in use, on the same held-out images. */
function comparisonLines(report: TrainingReport): string[] {
  const { comparison, labels, perClass } = report;
  if (!comparison) return [];
  return [
    '## Against the model in use',
    '',
    `The same ${report.split.test} held-out images, classified by \`${comparison.model}\` as the gateway would` +
      (comparison.unknownLabels > 0
        ? ` (${comparison.unknownLabels} of them have a label it does not know, so it cannot be right on them).`
        : '.'),
    '',
    `| | this model | ${comparison.model} |`,
    '| --- | ---: | ---: |',
    `| **accuracy** | ${pct(report.heldOutAccuracy)} | ${pct(comparison.accuracy)} |`,
    ...labels.map(
      (label, i) =>
        `| recall ${label} | ${num(perClass[i]?.recall ?? NaN)} | ${num(comparison.recall[i] ?? NaN)} |`,
    ),
    '',
  ];
}

export function reportMarkdown(report: TrainingReport): string {
  const { labels, confusion, perClass, split, input } = report;
  const last = report.history[report.history.length - 1];
  const kept = report.history.find((h) => h.epoch === report.bestEpoch);
  const lines = [
    '# Cable inspector model: training report',
    '',
    `Trained ${report.trainedAt} on \`${report.dataset}\` with TensorFlow.js on the \`${report.backend}\` backend ` +
      `(seed ${report.seed})` +
      (report.from ? `, fine-tuned from \`${report.from}\` (every layer trained on).` : '.'),
    '',
    `**Held-out test accuracy: ${pct(report.heldOutAccuracy)}** on ${split.test} images never used for training ` +
      'or for choosing the epoch.',
    '',
    '## Data',
    '',
    '| label | images |',
    '| --- | ---: |',
    ...labels.map((label, i) => `| ${label} | ${report.imagesPerLabel[i]} |`),
    '',
    split.how === undefined
      ? `Stratified seeded split: ${split.train} training, ${split.validation} validation, ${split.test} test images.`
      : `Split into ${split.train} training, ${split.validation} validation and ${split.test} test images: ${split.how}; ` +
        `${split.groups} groups split (near-identical frames of a camera, identical files` +
        `${split.how.includes('cameras') ? ', cameras' : ''}), the images of one never on two sides.`,
    '',
    ...comparisonLines(report),
    '## Held-out test set',
    '',
    'Confusion matrix (rows: actual label, columns: predicted label):',
    '',
    `| actual \\ predicted | ${labels.join(' | ')} |`,
    `| --- | ${labels.map(() => '---:').join(' | ')} |`,
    ...confusion.map((row, i) => `| **${labels[i]}** | ${row.join(' | ')} |`),
    '',
    '| label | precision | recall | F1 | support |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...perClass.map(
      (m, i) => `| ${labels[i]} | ${num(m.precision)} | ${num(m.recall)} | ${num(m.f1)} | ${m.support} |`,
    ),
    '',
    '## Training',
    '',
    `![Loss and accuracy per epoch](${REPORT_FILES.png})`,
    '',
    `(${REPORT_FILES.svg} is the same picture as SVG.)`,
    '',
    `${report.epochs} epochs in ${report.trainingSeconds.toFixed(0)} s. Weights kept from epoch ${report.bestEpoch}` +
      (kept
        ? ` (validation accuracy ${pct(kept.validationAccuracy)}, loss ${num(kept.validationLoss)})`
        : '') +
      (last
        ? `; last epoch: training accuracy ${pct(last.accuracy)}, validation ${pct(last.validationAccuracy)}.`
        : '.'),
    '',
    '| epoch | loss | accuracy | val. loss | val. accuracy | seconds |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.history.map(
      (h) =>
        `| ${h.epoch} | ${num(h.loss)} | ${num(h.accuracy)} | ${num(h.validationLoss)} | ${num(h.validationAccuracy)} | ` +
        `${h.seconds.toFixed(1)} |`,
    ),
    '',
    '## Model',
    '',
    `- Input ${input.width}x${input.height}x${input.channels}; preprocessing: centre crop to the input's aspect ` +
      'ratio, resize, pixels scaled `x / 127 - 1` (the Teachable Machine convention, recorded in metadata.json).',
    `- ${report.parameters.toLocaleString('en')} weights, weights.bin ${(report.weightBytes / 1024).toFixed(0)} kB.`,
    `- Inference on \`${report.backend}\`: ${report.inferenceMsPerImage.toFixed(1)} ms per image (batch of one, ` +
      'after preprocessing, mean over the test set).',
    '',
  ];
  return lines.join('\n');
}

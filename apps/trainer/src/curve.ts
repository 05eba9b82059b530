import type { EpochStats } from './train.js';

const WIDTH = 980;
const HEIGHT = 380;
const PANEL = { width: 400, height: 270, top: 56, left: [70, 550] } as const;
const COLOURS = { train: '#1f6fb2', validation: '#e07b16' } as const;

/**
 * Training curves as a standalone SVG: loss (left) and accuracy (right) per epoch, training in blue
 * and validation in orange, the restored best epoch marked with a dashed line.
 */
export function trainingCurveSvg(history: readonly EpochStats[], bestEpoch: number, title: string): string {
  const losses = history.flatMap((h) => [h.loss, h.validationLoss]).filter(Number.isFinite);
  const lossMax = niceCeiling(Math.max(0.1, ...losses));
  const panels = [
    panel(PANEL.left[0], 'Loss (categorical cross-entropy)', history, bestEpoch, [0, lossMax], (h) => [
      h.loss,
      h.validationLoss,
    ]),
    panel(PANEL.left[1], 'Accuracy', history, bestEpoch, [0, 1], (h) => [h.accuracy, h.validationAccuracy]),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
      'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...panels,
    legend(WIDTH / 2 - 150, HEIGHT - 14),
    '</svg>',
  ].join('\n');
}

function panel(
  left: number,
  title: string,
  history: readonly EpochStats[],
  bestEpoch: number,
  [yMin, yMax]: [number, number],
  values: (h: EpochStats) => [number, number],
): string {
  const { width, height, top } = PANEL;
  const epochs = Math.max(history.length, 2);
  const x = (epoch: number) => left + ((epoch - 1) / (epochs - 1)) * width;
  const y = (v: number) =>
    top + height - ((Math.min(Math.max(v, yMin), yMax) - yMin) / (yMax - yMin)) * height;
  const parts = [
    `<text x="${left + width / 2}" y="${top - 12}" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#888"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = yMin + ((yMax - yMin) * i) / 5;
    parts.push(
      `<line x1="${left}" x2="${left + width}" y1="${r(y(v))}" y2="${r(y(v))}" stroke="#e4e4e4"/>`,
      `<text x="${left - 6}" y="${r(y(v) + 4)}" text-anchor="end">${formatTick(v)}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(history.length / 10));
  for (let epoch = 1; epoch <= history.length; epoch += step) {
    parts.push(`<text x="${r(x(epoch))}" y="${top + height + 16}" text-anchor="middle">${epoch}</text>`);
  }
  parts.push(`<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle">epoch</text>`);
  if (bestEpoch > 0) {
    parts.push(
      `<line x1="${r(x(bestEpoch))}" x2="${r(x(bestEpoch))}" y1="${top}" y2="${top + height}" stroke="#555" stroke-dasharray="4 3"/>`,
    );
  }
  (['train', 'validation'] as const).forEach((series, s) => {
    const points = history
      .map((h) => [h.epoch, values(h)[s]] as const)
      .filter(([, v]) => Number.isFinite(v))
      .map(([epoch, v]) => `${r(x(epoch))},${r(y(v))}`);
    if (points.length === 0) return;
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${COLOURS[series]}" stroke-width="2"/>`,
      ...points.map((p) => {
        const [cx, cy] = p.split(',');
        return `<circle cx="${cx}" cy="${cy}" r="2.5" fill="${COLOURS[series]}"/>`;
      }),
    );
  });
  return parts.join('\n');
}

function legend(left: number, baseline: number): string {
  return [
    `<line x1="${left}" x2="${left + 24}" y1="${baseline - 4}" y2="${baseline - 4}" stroke="${COLOURS.train}" stroke-width="2"/>`,
    `<text x="${left + 30}" y="${baseline}">training</text>`,
    `<line x1="${left + 100}" x2="${left + 124}" y1="${baseline - 4}" y2="${baseline - 4}" stroke="${COLOURS.validation}" stroke-width="2"/>`,
    `<text x="${left + 130}" y="${baseline}">validation</text>`,
    `<line x1="${left + 215}" x2="${left + 239}" y1="${baseline - 4}" y2="${baseline - 4}" stroke="#555" stroke-dasharray="4 3"/>`,
    `<text x="${left + 245}" y="${baseline}">kept epoch</text>`,
  ].join('\n');
}

function niceCeiling(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * magnitude >= v) return m * magnitude;
  return 10 * magnitude;
}

const r = (v: number): string => (Math.round(v * 10) / 10).toString();
const formatTick = (v: number): string => (Math.round(v * 100) / 100).toString();

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

/** One bar of a group; null: not measured (drawn as "n/a"). */
export interface Bar {
  readonly series: string;
  readonly value: number | null;
}

/** Bars side by side under one label on the x axis. */
export interface BarGroup {
  readonly label: string;
  readonly bars: readonly Bar[];
}

/** One bar chart of the figure. */
export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly groups: readonly BarGroup[];
  /** A horizontal line (a target). */
  readonly threshold?: { readonly value: number; readonly label: string };
}

const PANEL_WIDTH = 480;
const PANEL_HEIGHT = 300;
const COLUMNS = 2;
const MARGIN = { top: 52, right: 16, bottom: 40, left: 64 };
const TITLE_HEIGHT = 40;
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round step for about `ticks` ticks from 0 to `max`: 1, 2 or 5 times a power of ten. */
export function niceStep(max: number, ticks = 5): number {
  if (!(max > 0)) return 1;
  const rough = max / ticks;
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function label(value: number): string {
  if (value >= 10_000) return `${Math.round(value / 1000)}k`;
  if (value >= 100) return String(Math.round(value));
  return String(Number(value.toPrecision(3)));
}

function renderPanel(panel: Panel, x: number, y: number): string {
  const width = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = panel.groups.flatMap((group) => group.bars.map((bar) => bar.value ?? 0));
  const top = Math.max(...values, panel.threshold?.value ?? 0, 0);
  const step = niceStep(top);
  const axisMax = Math.max(step, Math.ceil(top / step) * step);
  const scale = (value: number): number => height - (value / axisMax) * height;
  const series = [...new Set(panel.groups.flatMap((group) => group.bars.map((bar) => bar.series)))];
  const parts: string[] = [`<g transform="translate(${x},${y})">`];
  parts.push(`<text x="${PANEL_WIDTH / 2}" y="18" class="panel-title">${escape(panel.title)}</text>`);
  series.forEach((name, index) => {
    const legendX = MARGIN.left + index * 130;
    parts.push(
      `<rect x="${legendX}" y="28" width="10" height="10" fill="${PALETTE[index % PALETTE.length]}"/>`,
      `<text x="${legendX + 14}" y="37" class="legend">${escape(name)}</text>`,
    );
  });
  parts.push(`<g transform="translate(${MARGIN.left},${MARGIN.top})">`);
  for (let tick = 0; tick <= axisMax + step / 2; tick += step) {
    const tickY = scale(tick).toFixed(1);
    parts.push(
      `<line x1="0" x2="${width}" y1="${tickY}" y2="${tickY}" class="grid"/>`,
      `<text x="-6" y="${tickY}" dy="4" class="tick">${label(tick)}</text>`,
    );
  }
  parts.push(
    `<text transform="rotate(-90)" x="${-height / 2}" y="-48" class="unit">${escape(panel.unit)}</text>`,
  );
  const groupWidth = width / Math.max(1, panel.groups.length);
  const barWidth = Math.min(36, (groupWidth * 0.8) / Math.max(1, series.length));
  panel.groups.forEach((group, groupIndex) => {
    const groupX = groupIndex * groupWidth + (groupWidth - barWidth * series.length) / 2;
    group.bars.forEach((bar) => {
      const seriesIndex = series.indexOf(bar.series);
      const barX = (groupX + seriesIndex * barWidth).toFixed(1);
      if (bar.value === null) {
        parts.push(`<text x="${barX}" y="${height - 4}" class="value">n/a</text>`);
        return;
      }
      const barY = scale(bar.value);
      parts.push(
        `<rect x="${barX}" y="${barY.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(height - barY).toFixed(1)}" fill="${PALETTE[seriesIndex % PALETTE.length]}"><title>${escape(`${group.label}, ${bar.series}: ${bar.value} ${panel.unit}`)}</title></rect>`,
        `<text x="${(Number(barX) + (barWidth - 2) / 2).toFixed(1)}" y="${(barY - 3).toFixed(1)}" class="value">${label(bar.value)}</text>`,
      );
    });
    parts.push(
      `<text x="${(groupIndex * groupWidth + groupWidth / 2).toFixed(1)}" y="${height + 18}" class="group">${escape(group.label)}</text>`,
    );
  });
  if (panel.threshold) {
    const lineY = scale(panel.threshold.value).toFixed(1);
    parts.push(
      `<line x1="0" x2="${width}" y1="${lineY}" y2="${lineY}" class="threshold"/>`,
      `<text x="${width}" y="${lineY}" dy="-4" class="threshold-label">${escape(panel.threshold.label)}</text>`,
    );
  }
  parts.push(`<line x1="0" x2="${width}" y1="${height}" y2="${height}" class="axis"/>`, '</g></g>');
  return parts.join('\n');
}

/** The panels as one SVG document, two a row, under a title. */
export function renderChart(title: string, panels: readonly Panel[]): string {
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = PANEL_WIDTH * Math.min(COLUMNS, Math.max(1, panels.length));
  const height = TITLE_HEIGHT + rows * PANEL_HEIGHT;
  const style = [
    'text { font-family: system-ui, sans-serif; fill: #222; }',
    '.title { font-size: 16px; font-weight: 600; text-anchor: middle; }',
    '.panel-title { font-size: 13px; font-weight: 600; text-anchor: middle; }',
    '.legend { font-size: 11px; }',
    '.tick { font-size: 10px; text-anchor: end; fill: #555; }',
    '.unit { font-size: 11px; text-anchor: middle; fill: #555; }',
    '.value { font-size: 10px; text-anchor: middle; }',
    '.group { font-size: 11px; text-anchor: middle; }',
    '.grid { stroke: #e3e3e3; }',
    '.axis { stroke: #888; }',
    '.threshold { stroke: #d62728; stroke-dasharray: 5 3; stroke-width: 1.5; }',
    '.threshold-label { font-size: 10px; fill: #d62728; text-anchor: end; }',
  ].join('\n');
  const body = panels.map((panel, index) =>
    renderPanel(
      panel,
      (index % COLUMNS) * PANEL_WIDTH,
      TITLE_HEIGHT + Math.floor(index / COLUMNS) * PANEL_HEIGHT,
    ),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<style>\n${style}\n</style>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="26" class="title">${escape(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

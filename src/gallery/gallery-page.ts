import type { ImageRecord } from '../storage/image-record.js';

/** What the page shows of an image's analysis (the sidecar's `analysis`, when there is one). */
interface ShownAnalysis {
  readonly status?: string;
  readonly verdict?: string | null;
  readonly label?: string | null;
  readonly confidence?: number | null;
}

const VERDICT_COLOURS: Readonly<Record<string, string>> = {
  pass: '#1a7f37',
  defect: '#cf222e',
  uncertain: '#9a6700',
};

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function analysisOf(record: ImageRecord): ShownAnalysis | undefined {
  const analysis = record.analysis as ShownAnalysis | undefined;
  return typeof analysis === 'object' && analysis !== null ? analysis : undefined;
}

function badge(analysis: ShownAnalysis | undefined): string {
  if (!analysis) return '<span class="badge pending">not analysed yet</span>';
  if (analysis.status !== 'analysed' || !analysis.verdict) {
    return `<span class="badge pending">${escape(analysis.status ?? 'unknown')}</span>`;
  }
  const colour = VERDICT_COLOURS[analysis.verdict] ?? '#57606a';
  const confidence =
    typeof analysis.confidence === 'number' ? ` ${Math.round(analysis.confidence * 100)} %` : '';
  return (
    `<span class="badge" style="background:${colour}">${escape(analysis.verdict)}</span> ` +
    `${escape(analysis.label ?? '')}${confidence}`
  );
}

function card(record: ImageRecord): string {
  const id = escape(record.imageId);
  const retransmitted =
    record.duplicates + record.duplicateRequests + Math.max(0, record.endOfTransferRounds - 1);
  return `<figure>
  <a href="/images/${id}.jpg"><img src="/images/${id}.jpg" alt="${id}" loading="lazy"></a>
  <figcaption>
    <div>${badge(analysisOf(record))}</div>
    <div>device ${record.deviceId} · ${escape(record.source.address)} · ${escape(record.flowMode)}</div>
    <div>${escape(record.timings.storedAt.replace('T', ' ').replace('Z', ' UTC'))}</div>
    <div>${(record.size / 1024).toFixed(0)} KB in ${record.packets} packets, ${record.timings.transferMs} ms${
      retransmitted > 0 ? `, ${retransmitted} repeated` : ''
    }</div>
  </figcaption>
</figure>`;
}

/** The page of the newest images: a grid of photos with their verdict, newest first. */
export function renderGalleryPage(records: readonly ImageRecord[], generatedAt: Date): string {
  const body =
    records.length === 0
      ? '<p>No image stored yet.</p>'
      : `<div class="grid">\n${records.map(card).join('\n')}\n</div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cable-inspector: newest images</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1f2328; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 1rem; }
  figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; overflow: hidden; }
  img { width: 100%; aspect-ratio: 4 / 3; object-fit: cover; display: block; background: #f6f8fa; }
  figcaption { padding: 0.5rem; line-height: 1.5; }
  .badge { color: #fff; border-radius: 4px; padding: 0 0.4rem; }
  .badge.pending { background: #6e7781; }
</style>
</head>
<body>
<h1>Newest images</h1>
<p>${records.length} newest stored image(s), newest first; generated ${escape(generatedAt.toISOString())}.
<a href="?count=${records.length > 0 ? records.length * 2 : 48}">More</a></p>
${body}
</body>
</html>
`;
}

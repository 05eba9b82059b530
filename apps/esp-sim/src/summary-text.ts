import type { Distribution, FleetSummary } from './fleet-summary.js';

/** A duration for people: `840 ms`, `12.4 s`. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function formatDistribution(distribution: Distribution): string {
  return `p50 ${formatMs(distribution.p50)}, p95 ${formatMs(distribution.p95)}, p99 ${formatMs(distribution.p99)}, max ${formatMs(distribution.max)}`;
}

function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([key, count]) => `${key} ${count}`)
    .join(', ');
}

/** The summary as aligned lines of text, ending with a newline. */
export function formatSummary(summary: FleetSummary): string {
  const { transfers, retransmissions: resent, link } = summary;
  const rows: [string, string][] = [
    ['devices', `${summary.devices} × ${summary.imagesPerDevice} image(s)`],
    [
      'transfers',
      `${transfers.ok} ok, ${transfers.failed} failed` +
        (transfers.failed > 0 ? ` (${formatCounts(transfers.failures)})` : ''),
    ],
    [
      'throughput',
      `${summary.megabytesPerSecond.toFixed(2)} MB/s, ${summary.imagesPerSecond.toFixed(1)} images/s over ${summary.wallSeconds.toFixed(1)} s`,
    ],
    ['transfer time', formatDistribution(summary.transferMs)],
    [
      'retransmissions',
      `${resent.packets} packets, ${resent.requests} requests, ${resent.endOfTransfer} extra end-of-transfer; ` +
        `${resent.timeouts} timeouts, ${resent.nacks} NACKs, ${resent.bufferDrops} chip-buffer drops`,
    ],
    [
      'builds',
      Object.entries(summary.builds)
        .map(
          ([name, build]) => `${name}: ${build.ok} ok/${build.failed} failed, p50 ${formatMs(build.p50Ms)}`,
        )
        .join('; '),
    ],
  ];
  if (summary.results) {
    const results = summary.results;
    rows.push([
      'results (op 4)',
      `${results.received}/${results.awaited} received` +
        (results.received > 0
          ? `, ${formatDistribution(results.latencyMs)} after upload; ${formatCounts(results.outcomes)}`
          : ''),
    ]);
  }
  rows.push([
    'link',
    `out: ${link.outgoing.offered} sent, ${link.outgoing.lost} lost, ${link.outgoing.duplicated} duplicated; ` +
      `in: ${link.incoming.offered} received, ${link.incoming.lost} lost, ${link.incoming.duplicated} duplicated`,
  ]);
  rows.push([
    'violations',
    summary.violations.count === 0
      ? 'none'
      : `${summary.violations.count}: ${summary.violations.examples.join(' | ')}`,
  ]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}

import type { LinkCounters, LinkDirection } from '#camera-emulator';
import type { FleetRun } from './fleet.js';

/** Bytes in a megabyte, as throughput is reported (decimal, like network rates). */
export const BYTES_PER_MB = 1_000_000;

/** Order statistics of a set of durations, in milliseconds; every field null when the set is empty. */
export interface Distribution {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

/** What a fleet run amounts to: the simulator's summary, printed as text or JSON. */
export interface FleetSummary {
  readonly devices: number;
  readonly imagesPerDevice: number;
  readonly transfers: {
    readonly total: number;
    readonly ok: number;
    readonly failed: number;
    /** Failed uploads by why they ended (`deadline`, `end-of-transfer-retries`, …). */
    readonly failures: Readonly<Record<string, number>>;
  };
  /** Bytes of the images the gateway acknowledged. */
  readonly bytesOk: number;
  readonly wallSeconds: number;
  readonly imagesPerSecond: number;
  /** Acknowledged image bytes per second of the whole run, in MB (10^6 bytes). */
  readonly megabytesPerSecond: number;
  /** Transfer time of the successful uploads: first request to the server's final word. */
  readonly transferMs: Distribution;
  readonly retransmissions: {
    /** Data packets sent again (NACK, timeout, or listed missing). */
    readonly packets: number;
    /** Upload requests beyond the first of each upload. */
    readonly requests: number;
    /** Generation B: end-of-transfer frames beyond the first of each upload. */
    readonly endOfTransfer: number;
    readonly timeouts: number;
    readonly nacks: number;
    /** Replies generation B's 8 KB chip buffer had no room for. */
    readonly bufferDrops: number;
  };
  /** Per firmware build: uploads, failures and the median transfer time. */
  readonly builds: Readonly<
    Record<string, { readonly ok: number; readonly failed: number; readonly p50Ms: number | null }>
  >;
  /** With --wait-result: how many op-4 results came and how long after the upload. */
  readonly results:
    | {
        readonly awaited: number;
        readonly received: number;
        readonly missing: number;
        readonly latencyMs: Distribution;
        /** Results by status then verdict: `analysed/pass`, `unavailable`, … */
        readonly outcomes: Readonly<Record<string, number>>;
      }
    | undefined;
  /** Replies a device would choke on (longer than 32 bytes, stray indices, …): should be 0. */
  readonly violations: { readonly count: number; readonly examples: readonly string[] };
  readonly link: Readonly<Record<LinkDirection, LinkCounters>>;
}

/** The nearest-rank percentile `p` (0-100) of ascending `sorted`; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50, p95, p99, max and mean of `values` (any order). */
export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? null : sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
    mean,
  };
}

const ANALYSIS_STATUS = ['analysed', 'undecodable', 'unavailable'] as const;
const VERDICTS = ['pass', 'defect', 'uncertain'] as const;

/** Most distinct violation messages kept as examples. */
const VIOLATION_EXAMPLES = 5;

/** Sums up a fleet run. */
export function summarizeFleet(
  run: FleetRun,
  devices: number,
  imagesPerDevice: number,
  awaitedResults: boolean,
): FleetSummary {
  const uploads = run.uploads;
  const ok = uploads.filter((upload) => upload.result.ok);
  const failures: Record<string, number> = {};
  for (const upload of uploads) {
    if (!upload.result.ok)
      failures[upload.result.gaveUp ?? 'unknown'] = (failures[upload.result.gaveUp ?? 'unknown'] ?? 0) + 1;
  }
  const bytesOk = ok.reduce((sum, upload) => sum + upload.result.bytes, 0);
  const wallSeconds = run.wallMs / 1000;
  const builds: Record<string, { ok: number; failed: number; p50Ms: number | null }> = {};
  for (const name of new Set(uploads.map((upload) => upload.build))) {
    const mine = uploads.filter((upload) => upload.build === name);
    const mineOk = mine.filter((upload) => upload.result.ok);
    builds[name] = {
      ok: mineOk.length,
      failed: mine.length - mineOk.length,
      p50Ms: distribution(mineOk.map((upload) => upload.transferMs)).p50,
    };
  }
  const sum = (pick: (upload: (typeof uploads)[number]) => number): number =>
    uploads.reduce((total, upload) => total + pick(upload), 0);
  const violations = uploads.flatMap((upload) => upload.result.violations).concat(run.strayViolations);
  return {
    devices,
    imagesPerDevice,
    transfers: { total: uploads.length, ok: ok.length, failed: uploads.length - ok.length, failures },
    bytesOk,
    wallSeconds,
    imagesPerSecond: wallSeconds > 0 ? ok.length / wallSeconds : 0,
    megabytesPerSecond: wallSeconds > 0 ? bytesOk / BYTES_PER_MB / wallSeconds : 0,
    transferMs: distribution(ok.map((upload) => upload.transferMs)),
    retransmissions: {
      packets: sum((upload) => upload.result.retransmissions),
      requests: sum((upload) => Math.max(0, upload.result.requestTries - 1)),
      endOfTransfer: sum((upload) => Math.max(0, upload.result.rounds - 1)),
      timeouts: sum((upload) => upload.result.timeouts),
      nacks: sum((upload) => upload.result.nacks),
      bufferDrops: sum((upload) => upload.result.bufferDrops),
    },
    builds,
    results: awaitedResults ? summarizeResults(run) : undefined,
    violations: { count: violations.length, examples: [...new Set(violations)].slice(0, VIOLATION_EXAMPLES) },
    link: run.link,
  };
}

function summarizeResults(run: FleetRun): FleetSummary['results'] {
  const awaited = run.uploads.filter((upload) => upload.result.ok);
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  for (const upload of awaited) {
    const analysis = upload.result.analysis;
    if (!analysis?.received) continue;
    latencies.push(analysis.afterMs);
    const status = ANALYSIS_STATUS[analysis.result.status] ?? `status-${analysis.result.status}`;
    const key =
      status === 'analysed'
        ? `analysed/${VERDICTS[analysis.result.verdict] ?? analysis.result.verdict}`
        : status;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return {
    awaited: awaited.length,
    received: latencies.length,
    missing: awaited.length - latencies.length,
    latencyMs: distribution(latencies),
    outcomes,
  };
}

/** Whether the run counts as a success: every transfer ok and, when awaited, every result received. */
export function fleetSucceeded(summary: FleetSummary): boolean {
  return summary.transfers.failed === 0 && (summary.results === undefined || summary.results.missing === 0);
}

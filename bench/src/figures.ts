/** One measured number of the benchmark: printed as one line, and a row of the report. */
export interface Figure {
  /** Stable dotted name: `packet-path.spool-on.n16.ratio`, `fleet.images-per-second`, … */
  readonly key: string;
  /** Section it belongs to (a table of the report). */
  readonly section: Section;
  /** What it is, for people. */
  readonly label: string;
  /** Null when it could not be measured (the detail says why). */
  readonly value: number | null;
  readonly unit: string;
  /** How it was measured, or the numbers it comes from. */
  readonly detail?: string;
}

export type Section =
  'packet-path' | 'fleet' | 'classification' | 'no-blocking' | 'http-load' | 'verdict-latency' | 'memory';

export const SECTIONS: readonly Section[] = [
  'packet-path',
  'fleet',
  'classification',
  'no-blocking',
  'http-load',
  'verdict-latency',
  'memory',
];

export const SECTION_TITLES: Readonly<Record<Section, string>> = {
  'packet-path': 'Packet path: acknowledged data packets per second, lockstep devices',
  fleet: 'Fleet: emulated cameras, generations A and B, real JPEGs, lossy link',
  classification: 'Classification: classifier pool throughput and latency',
  'no-blocking': 'No blocking: ping round trip while the classifier pool is saturated',
  'http-load': 'HTTP load: ping round trip while the page of the newest images is under load',
  'verdict-latency': 'Verdict latency: end of upload to op-4 result, cameras at once and at a steady rate',
  memory: 'Memory: peak resident memory of the gateway process',
};

/** Device counts of the packet-path measurement. */
export const PACKET_PATH_DEVICES = [1, 16, 64] as const;

/** The gateway configurations of the packet path, against the baseline. */
export const SPOOL_SETTINGS = ['spool-on', 'spool-off'] as const;

/** Backends measured whenever present (tensorflow only when tfjs-node is installed). */
export const ALWAYS_MEASURED_BACKENDS = ['cpu', 'wasm'] as const;

/**
 * Keys of the figures every run prints (the classification ones for the backends always
 * measured): what the smoke test checks for.
 */
export function requiredFigureKeys(): string[] {
  const keys: string[] = [];
  for (const devices of PACKET_PATH_DEVICES) {
    keys.push(`packet-path.baseline.n${devices}.acks-per-second`);
    for (const spool of SPOOL_SETTINGS) {
      keys.push(`packet-path.${spool}.n${devices}.acks-per-second`, `packet-path.${spool}.n${devices}.ratio`);
    }
    keys.push(`packet-path.spool-cost.n${devices}`);
  }
  keys.push(
    'fleet.images-per-second',
    'fleet.megabytes-per-second',
    'fleet.transfer-p99-ms',
    'fleet.failures',
  );
  for (const backend of ALWAYS_MEASURED_BACKENDS) {
    keys.push(`classification.${backend}.images-per-second`, `classification.${backend}.latency-p50-ms`);
  }
  keys.push(
    'no-blocking.ping-p99-idle-ms',
    'no-blocking.ping-p99-saturated-ms',
    'no-blocking.ratio',
    'http-load.ping-p99-idle-ms',
    'http-load.ping-p99-loaded-ms',
    'http-load.ratio',
    'no-blocking.classified-per-second',
    'verdict-latency.burst-p50-ms',
    'verdict-latency.burst-p99-ms',
    'verdict-latency.steady-p50-ms',
    'verdict-latency.steady-p99-ms',
    'memory.rss-idle-mb',
    'memory.rss-fleet-peak-mb',
    'memory.classifier-rss-idle-mb',
    'memory.classifier-rss-fleet-peak-mb',
    'memory.rss-flood-peak-mb',
  );
  return keys;
}

/** Rounds for display: 3 significant digits below 100, whole numbers above. */
export function formatValue(value: number | null): string {
  if (value === null) return 'n/a';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

/** The line a figure is printed as: `figure <key> = <value> <unit>  <label> (<detail>)`. */
export function figureLine(figure: Figure): string {
  const detail = figure.detail ? ` (${figure.detail})` : '';
  return `figure ${figure.key} = ${formatValue(figure.value)} ${figure.unit}  ${figure.label}${detail}`;
}

import { parseArgs } from 'node:util';
import type { TimeScale } from '../../apps/esp-sim/src/index.js';
import { SECTIONS, type Section } from './figures.js';

/** How long and how big: `full` for the record, `quick` under a minute, `smoke` for the test suite. */
export type BenchMode = 'full' | 'quick' | 'smoke';

/** The counts and durations of one mode. */
export interface BenchScale {
  /** Measurement window of each packet-path point. */
  readonly packetWindowMs: number;
  /** Rounds over the three packet-path servers (each figure is the median of its rounds). */
  readonly packetRounds: number;
  /** Size of the lockstep devices' images (100 packets at P = 1460). */
  readonly packetImageBytes: number;
  readonly fleetDevices: number;
  readonly fleetImagesPerDevice: number;
  /**
   * Firmware time scale of the fleet run, per generation: A's 5 s waits are shortened so the run
   * ends in reasonable time, never below the 1 s that B's deployed firmware waits.
   */
  readonly fleetTimeScale: TimeScale;
  readonly fleetLoss: number;
  /** Images classified one at a time (latency), then all at once (throughput), per backend. */
  readonly classifyLatencyImages: number;
  readonly classifyThroughputImages: number;
  readonly pings: number;
  readonly pingIntervalMs: number;
  readonly floodMs: number;
  /** Seconds of classifier backlog uploaded beyond the ping window, so the queue does not drain early. */
  readonly saturationMarginSeconds: number;
  /** Requests to the page of the newest images kept in flight at once (http-load section). */
  readonly httpConcurrency: number;
  /** Images stored (and classified) before the http-load section measures. */
  readonly httpImages: number;
  /** Cameras of the verdict-latency section; rounds of its burst; images each at the steady rate. */
  readonly verdictDevices: number;
  readonly verdictBurstRounds: number;
  readonly verdictSteadyImages: number;
  /** One production gateway child serves the fleet, no-blocking and memory sections (fewer start-ups). */
  readonly shareGateways: boolean;
}

export const SCALES: Readonly<Record<BenchMode, BenchScale>> = {
  full: {
    packetWindowMs: 2500,
    packetRounds: 5,
    packetImageBytes: 145_000,
    fleetDevices: 255,
    fleetImagesPerDevice: 4,
    fleetTimeScale: { A: 0.2, B: 1 },
    fleetLoss: 0.05,
    classifyLatencyImages: 40,
    classifyThroughputImages: 160,
    pings: 2000,
    pingIntervalMs: 2,
    floodMs: 8000,
    saturationMarginSeconds: 2,
    httpConcurrency: 800,
    httpImages: 200,
    verdictDevices: 50,
    verdictBurstRounds: 5,
    verdictSteadyImages: 10,
    shareGateways: false,
  },
  quick: {
    packetWindowMs: 800,
    packetRounds: 1,
    packetImageBytes: 145_000,
    fleetDevices: 255,
    fleetImagesPerDevice: 1,
    fleetTimeScale: { A: 0.1, B: 1 },
    fleetLoss: 0.05,
    classifyLatencyImages: 10,
    classifyThroughputImages: 40,
    pings: 300,
    pingIntervalMs: 2,
    floodMs: 2000,
    saturationMarginSeconds: 1,
    httpConcurrency: 800,
    httpImages: 96,
    verdictDevices: 50,
    verdictBurstRounds: 2,
    verdictSteadyImages: 3,
    shareGateways: false,
  },
  smoke: {
    packetWindowMs: 300,
    packetRounds: 1,
    packetImageBytes: 29_000,
    fleetDevices: 9,
    fleetImagesPerDevice: 1,
    fleetTimeScale: { A: 0.05, B: 0.5 },
    fleetLoss: 0.05,
    classifyLatencyImages: 3,
    classifyThroughputImages: 8,
    pings: 60,
    pingIntervalMs: 1,
    floodMs: 600,
    saturationMarginSeconds: 1,
    httpConcurrency: 40,
    httpImages: 16,
    verdictDevices: 10,
    verdictBurstRounds: 1,
    verdictSteadyImages: 2,
    shareGateways: true,
  },
};

/** The bench's command line, validated. */
export interface BenchOptions {
  readonly mode: BenchMode;
  /** Sections to run, in the report's order. */
  readonly sections: readonly Section[];
  /** Folder of the report and chart. */
  readonly outDir: string;
  /** Runs the gateway children under `--cpu-prof` and prints where their time went. */
  readonly profile: boolean;
  /** Keeps the work folder (gateway logs, stored images, profiles). */
  readonly keep: boolean;
  readonly help: boolean;
}

export const BENCH_USAGE = `Usage: npm run bench -- [options]

Measures the gateway on this machine, on loopback, in one process tree: the gateway runs in child
processes (node dist/src/main.js), the load generators in the bench process. Prints one line per
figure and writes bench/results/<date>.md (tables, targets met or not) and <date>.svg (a chart).

  --quick            smaller counts: under a minute
  --smoke            smallest counts, for the test suite (figures not meaningful)
  --only <list>      sections to run, comma-separated: ${SECTIONS.join(', ')}
  --out <dir>        where the report and chart go (default bench/results)
  --profile          run the gateway children under node --cpu-prof and print their hot functions
  --keep             keep the work folder (logs, stored images, CPU profiles)
  --help             this text`;

/** @throws Error with a usage message when the command line does not validate. */
export function parseBenchArgs(argv: readonly string[], defaultOutDir: string): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.quick && values.smoke) throw new Error('--quick and --smoke: give one or the other');
  const sections =
    values.only === undefined ? [...SECTIONS] : values.only.split(',').map((name) => name.trim());
  const unknown = sections.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(`--only ${unknown.join(',')}: expected some of ${SECTIONS.join(', ')}`);
  return {
    mode: values.smoke ? 'smoke' : values.quick ? 'quick' : 'full',
    sections: SECTIONS.filter((section) => sections.includes(section)),
    outDir: values.out ?? defaultOutDir,
    profile: values.profile === true,
    keep: values.keep === true,
    help: values.help === true,
  };
}

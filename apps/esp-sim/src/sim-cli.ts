import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { layOutFleet } from './fleet-layout.js';
import { fleetSucceeded, summarizeFleet } from './fleet-summary.js';
import { FleetProgress, runFleet, type FleetRun } from './fleet.js';
import { imagesFromFiles, readImageFolder, syntheticImages, type ImageSource } from './image-source.js';
import { ProgressDisplay, type ProgressStream } from './progress-display.js';
import { parseSimArgs, USAGE, UsageError, type SimOptions, type TargetOption } from './sim-options.js';
import { formatSummary } from './summary-text.js';

/** Exit codes of the simulator. */
export const EXIT = Object.freeze({ ok: 0, failures: 1, usage: 2 });

/** Where the simulator writes: the summary to `stdout`, progress and problems to `stderr`. */
export interface SimStreams {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
}

/**
 * Runs the simulator for a command line and returns its exit code: 0 when every transfer (and,
 * with `--wait-result`, every result) succeeded, 1 otherwise, 2 for a command line that does not
 * validate. `signal` aborting (Ctrl-C) ends the uploads in progress and still prints the summary.
 */
export async function runSimulator(
  argv: readonly string[],
  streams: SimStreams,
  signal?: AbortSignal,
): Promise<number> {
  let options: SimOptions;
  let address: string;
  let images: ImageSource;
  try {
    const command = parseSimArgs(argv);
    if (command.help) {
      streams.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    options = command.options;
    address = await resolveTarget(options.target);
    images = await imageSourceOf(options, streams.stderr);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    streams.stderr.write(`esp-sim: ${error.message.replaceAll('\n', '\nesp-sim: ')}\nesp-sim: see --help\n`);
    return EXIT.usage;
  }

  const progress = new FleetProgress();
  const display = options.quiet ? undefined : new ProgressDisplay(streams.stderr, progress);
  let run: FleetRun;
  try {
    run = await runFleet(
      {
        server: { address, port: options.target.port },
        devices: layOutFleet(options, address),
        imagesPerDevice: options.images,
        images,
        timeScale: options.timeScale,
        deadlineMs: options.deadlineMs,
        awaitResultMs: options.waitResult ? options.resultTimeoutMs : undefined,
        rampMs: options.rampMs,
        intervalMs: options.intervalMs,
        signal,
      },
      progress,
    );
  } finally {
    display?.stop();
  }
  const summary = summarizeFleet(run, options.devices, options.images, options.waitResult);
  streams.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  return fleetSucceeded(summary) ? EXIT.ok : EXIT.failures;
}

/** The target's IP address: the devices compare every reply's source address with it. */
async function resolveTarget(target: TargetOption): Promise<string> {
  if (isIP(target.host) !== 0) return target.host;
  try {
    return (await lookup(target.host)).address;
  } catch (error) {
    throw new UsageError(`--target ${target.host}: cannot resolve the host (${(error as Error).message})`);
  }
}

async function imageSourceOf(options: SimOptions, stderr: ProgressStream): Promise<ImageSource> {
  if (options.imagesFrom === undefined) return syntheticImages(options.imageSize!, options.seed);
  const sizesOf = (builds: SimOptions['builds']) => [...new Set(builds.map((build) => build.maxPacketSize))];
  const deployed = options.builds.filter((build) => build.generation !== 'C');
  const { files, warnings } = await readImageFolder(
    options.imagesFrom,
    sizesOf(options.builds),
    sizesOf(deployed),
  );
  for (const warning of warnings) stderr.write(`esp-sim: warning: ${warning}\n`);
  return imagesFromFiles(files, options.images);
}

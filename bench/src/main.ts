/**
 * `npm run bench`: measures the gateway against its targets (see `--help`). Also the entry point
 * of the baseline server's child process (`main.js baseline-server <port>`).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BASELINE_ROLE, serveBaseline } from './baseline-server.js';
import { runBench } from './bench.js';
import { BENCH_USAGE, parseBenchArgs, type BenchOptions } from './bench-options.js';

/** Where reports go by default: bench/results of the repository. */
export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../../../bench/results', import.meta.url));

/** Runs the bench (or the baseline server) for a command line; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === BASELINE_ROLE) {
    serveBaseline(Number(argv[1]));
    return new Promise<number>(() => undefined);
  }
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv, DEFAULT_RESULTS_DIR);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\nbench: see --help\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  // Exit through process.exit so that the gateway children are killed on the way out.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  const outcome = await runBench(options, { stdout: process.stdout, stderr: process.stderr });
  return outcome.failedSections.length === 0 ? 0 : 1;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error('bench failed:', error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}

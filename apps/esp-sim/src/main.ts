/**
 * `npm run sim -- …`: the ESP32-CAM fleet simulator. See `--help`, or `runSimulator`.
 */
import { runSimulator } from './sim-cli.js';

const controller = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\nesp-sim: stopping (Ctrl-C again to quit at once)\n');
  process.once('SIGINT', () => process.exit(130));
  controller.abort();
});

runSimulator(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr },
  controller.signal,
).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('esp-sim failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);

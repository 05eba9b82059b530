import { parseTrainArgs, USAGE } from './args.js';
import { trainClassifier, TrainingLog } from './run.js';

/** CLI: npm run train -- (--data <dir> | --store <STORAGE_DIR>) --out <model dir> [options] */
async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let args;
  try {
    args = parseTrainArgs(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  await trainClassifier(args, consoleLog());
  return 0;
}

function consoleLog(): TrainingLog {
  const tty = process.stderr.isTTY === true;
  let transient = false;
  const clear = () => {
    if (transient) process.stderr.write('\r\x1b[K');
    transient = false;
  };
  const pad = (v: number) => v.toFixed(3).padStart(6);
  return {
    info: (message) => {
      clear();
      console.log(message);
    },
    progress: (message) => {
      if (!tty) return;
      process.stderr.write(`\r\x1b[K${message}`);
      transient = true;
    },
    epoch: (s, epochs) => {
      clear();
      console.log(
        `epoch ${String(s.epoch).padStart(String(epochs).length)}/${epochs}  loss ${pad(s.loss)}  acc ${pad(s.accuracy)}  ` +
          `val_loss ${pad(s.validationLoss)}  val_acc ${pad(s.validationAccuracy)}  (${s.seconds.toFixed(1)} s)`,
      );
    },
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

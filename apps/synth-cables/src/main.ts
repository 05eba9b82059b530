import { parseSynthArgs, USAGE } from './args.js';
import { generateDataset } from './generate.js';

/** CLI: npm run synth -- --out <dir> --per-class <n> --seed <s> */
async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let args;
  try {
    args = parseSynthArgs(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const tty = process.stderr.isTTY;
  const total = args.labels.length * args.perClass;
  console.log(
    `synth-cables: ${total} images (${args.labels.join(', ')}; ${args.perClass} each), ` +
      `${args.width}x${args.height}, line ${args.line.name}, seed ${args.seed} -> ${args.out}`,
  );
  await generateDataset({
    ...args,
    onProgress: ({ done, label }) => {
      const line = `  ${done}/${total} (${Math.floor((100 * done) / total)}%) ${label}`;
      if (tty) process.stderr.write(`\r${line}   `);
      else if (done === total || done % Math.max(1, Math.floor(total / 20)) === 0) console.log(line);
    },
  });
  if (tty) process.stderr.write('\n');
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

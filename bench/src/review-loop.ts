/**
 * The review loop as a plant lives it, measured on synthetic data (`npm run study:review-loop`):
 * the default model (trained on the `desk` line) meets another line (`conveyor`: camera higher,
 * warm lamps, a dark belt, other cables). A gateway stores that line's photos (real UDP, emulated
 * cameras) and classifies them with the default model; a "person" reviews N of them per label
 * through the API (N = 10, 20, 40); the trainer fine-tunes the default model on the store's
 * reviewed images (and, for reference, trains one from scratch on them); every model is scored on
 * the same held-out photos of the line, which nobody reviewed. Not part of `npm test`: it takes
 * many minutes.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import { generateDataset } from '../../apps/synth-cables/src/generate.js';
import { lineNamed, type Line } from '../../apps/synth-cables/src/lines.js';
import { CABLE_LABELS } from '../../apps/synth-cables/src/scene.js';
import { startGatewayChild, type GatewayChild } from './gateway-child.js';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const TRAINER = join(REPOSITORY, 'dist', 'apps', 'trainer', 'src', 'main.js');
const CAMERAS = 4;

interface StudyOptions {
  readonly line: Line;
  readonly reviews: readonly number[];
  readonly heldOut: number;
  readonly seeds: readonly number[];
  readonly epochs: number;
  readonly imageSeed: number;
  readonly work: string | undefined;
  /** The model kept in the repository (models/<name>): the fine-tuned one of the largest N, first seed. */
  readonly keep: string;
  readonly out: string;
}

/** One trained model: how it did on the held-out photos. */
interface Run {
  readonly reviewsPerLabel: number;
  readonly seed: number;
  readonly start: 'default model' | 'scratch';
  readonly accuracy: number;
  readonly dir: string;
  readonly seconds: number;
}

function parseOptions(argv: readonly string[]): StudyOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      line: { type: 'string', default: 'conveyor' },
      reviews: { type: 'string', default: '10,20,40' },
      'held-out': { type: 'string', default: '100' },
      seeds: { type: 'string', default: '1,2,3' },
      epochs: { type: 'string', default: '30' },
      'image-seed': { type: 'string', default: '2027' },
      work: { type: 'string' },
      keep: { type: 'string', default: 'conveyor-40' },
      out: { type: 'string', default: join(REPOSITORY, 'bench', 'results') },
    },
    strict: true,
  });
  const line = lineNamed(values.line);
  if (!line) throw new Error(`--line: no line ${values.line}`);
  const numbers = (text: string) => text.split(',').map((part) => Number(part));
  return {
    line,
    reviews: numbers(values.reviews).sort((a, b) => a - b),
    heldOut: Number(values['held-out']),
    seeds: numbers(values.seeds),
    epochs: Number(values.epochs),
    imageSeed: Number(values['image-seed']),
    work: values.work,
    keep: values.keep,
    out: values.out,
  };
}

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

async function api<T>(gateway: GatewayChild, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${gateway.httpPort}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Uploads every photo of `pool` from `CAMERAS` emulated cameras; returns the true label of each by sha256. */
async function uploadPool(
  gateway: GatewayChild,
  pool: string,
): Promise<Map<string, { label: string; index: number }>> {
  const { createHash } = await import('node:crypto');
  const photos: { label: string; index: number; bytes: Buffer }[] = [];
  for (const label of CABLE_LABELS) {
    for (const file of await readdir(join(pool, label))) {
      photos.push({
        label,
        index: Number(file.replace('.jpg', '')),
        bytes: await readFile(join(pool, label, file)),
      });
    }
  }
  // Interleaved as a line would send them: one label after the other, not all of a label at once.
  photos.sort((a, b) => a.index - b.index || (a.label < b.label ? -1 : 1));
  const truth = new Map(
    photos.map((photo) => [createHash('sha256').update(photo.bytes).digest('hex'), photo] as const),
  );
  let sent = 0;
  await Promise.all(
    Array.from({ length: CAMERAS }, async (_, camera) => {
      const device = await CameraDevice.open({
        server: { address: '127.0.0.1', port: gateway.process.udp.port },
        firmware: FIRMWARE.B,
        deviceId: 10 + camera,
      });
      try {
        for (let index = camera; index < photos.length; index += CAMERAS) {
          const result = await device.upload(photos[index]!.bytes, { deadlineMs: 30_000 });
          if (!result.ok) throw new Error(`upload ${index} failed: ${JSON.stringify(result)}`);
          if (++sent % 20 === 0) log(`uploaded ${sent}/${photos.length}`);
        }
      } finally {
        await device.close();
      }
    }),
  );
  return truth;
}

interface Listed {
  readonly imageId: string;
  readonly sha256: string;
  readonly status: string;
  readonly label: string | null;
}

async function listAll(gateway: GatewayChild): Promise<Listed[]> {
  return (await api<{ items: Listed[] }>(gateway, 'GET', '/api/images?limit=1000')).items;
}

function train(args: readonly string[], logPath: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TRAINER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      void writeFile(logPath, output);
      if (code === 0) resolvePromise();
      else reject(new Error(`trainer exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
}

const pct = (value: number) => `${(100 * value).toFixed(1)} %`;
const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

function row(runs: readonly Run[]): string {
  if (runs.length === 0) return 'n/a';
  const accuracies = runs.map((run) => run.accuracy);
  const [low, high] = [Math.min(...accuracies), Math.max(...accuracies)];
  return runs.length === 1 ? pct(low) : `${pct(mean(accuracies))} (${pct(low)} to ${pct(high)})`;
}

/** The table of the study, in Markdown. */
export function studyTable(
  defaultAccuracy: number,
  runs: readonly Run[],
  reviews: readonly number[],
): string {
  const lines = [
    '| reviewed images per label | default model | fine-tuned from it | trained from scratch |',
    '| ---: | ---: | ---: | ---: |',
    ...reviews.map((count) => {
      const of = (start: Run['start']) =>
        runs.filter((run) => run.reviewsPerLabel === count && run.start === start);
      return `| ${count} | ${pct(defaultAccuracy)} | ${row(of('default model'))} | ${row(of('scratch'))} |`;
    }),
  ];
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv);
  const work = options.work ?? (await mkdtemp(join(tmpdir(), 'review-loop-')));
  log(`work directory ${work}; line ${options.line.name}: ${options.line.description}`);
  const maxReviews = options.reviews[options.reviews.length - 1]!;
  const [pool, heldOut, modelsDir] = [join(work, 'pool'), join(work, 'held-out'), join(work, 'models')];
  log(`rendering ${maxReviews} photos per label to review and ${options.heldOut} per label held out`);
  const common = {
    labels: CABLE_LABELS,
    seed: options.imageSeed,
    width: 320,
    height: 240,
    line: options.line,
  };
  await generateDataset({ ...common, out: pool, perClass: maxReviews });
  await generateDataset({ ...common, out: heldOut, perClass: options.heldOut, firstIndex: 100_000 });
  await mkdir(modelsDir, { recursive: true });
  await cp(join(REPOSITORY, 'models', 'default'), join(modelsDir, 'default'), { recursive: true });

  const gateway = await startGatewayChild('gateway', join(work, 'gateway'), {
    ANALYSIS_ENABLED: 'true',
    INFERENCE_BACKEND: 'wasm',
    MODELS_DIR: modelsDir,
    MODEL_DIR: join(modelsDir, 'default'),
    CLASSIFIER_IDLE_POLICY: 'false',
    LOG_LEVEL: 'info',
  });
  const runs: Run[] = [];
  let defaultAccuracy = NaN;
  try {
    const truth = await uploadPool(gateway, pool);
    let listed = await listAll(gateway);
    while (listed.length < truth.size || listed.some((image) => image.status === 'pending')) {
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
      listed = await listAll(gateway);
    }
    const agreeing = listed.filter((image) => image.label === truth.get(image.sha256)?.label).length;
    log(
      `${listed.length} photos stored and analysed by the default model: ${pct(agreeing / listed.length)} right`,
    );

    let reviewed = 0;
    for (const count of options.reviews) {
      const started = performance.now();
      for (const image of listed) {
        const photo = truth.get(image.sha256)!;
        if (
          photo.index < count &&
          photo.index >= (options.reviews[options.reviews.indexOf(count) - 1] ?? 0)
        ) {
          await api(gateway, 'PUT', `/api/images/${image.imageId}/review`, { label: photo.label });
          reviewed++;
        }
      }
      log(
        `${reviewed} reviews recorded through the API (${count} per label), ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      for (const seed of options.seeds) {
        for (const start of ['default model', 'scratch'] as const) {
          const name = `${options.line.name}-${count}-${start === 'scratch' ? 'scratch' : 'tuned'}-s${seed}`;
          const dir = join(modelsDir, name);
          const begun = performance.now();
          await train(
            [
              '--store',
              gateway.storageDir,
              '--test',
              heldOut,
              '--compare',
              join(modelsDir, 'default'),
              '--out',
              dir,
              '--epochs',
              String(options.epochs),
              '--seed',
              String(seed),
              '--backend',
              'wasm',
              ...(start === 'scratch' ? [] : ['--from', join(modelsDir, 'default')]),
            ],
            join(work, `${name}.log`),
          );
          const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as {
            heldOutAccuracy: number;
            comparedAccuracy: number;
          };
          defaultAccuracy = metadata.comparedAccuracy;
          const run: Run = {
            reviewsPerLabel: count,
            seed,
            start,
            accuracy: metadata.heldOutAccuracy,
            dir,
            seconds: (performance.now() - begun) / 1000,
          };
          runs.push(run);
          log(
            `${name}: ${pct(run.accuracy)} held out (default model ${pct(defaultAccuracy)}), ${run.seconds.toFixed(0)} s`,
          );
        }
      }
    }
    const kept = runs.find(
      (run) =>
        run.reviewsPerLabel === maxReviews && run.seed === options.seeds[0] && run.start === 'default model',
    )!;
    const keptName = kept.dir.split('/').pop()!;
    const activated = await api<{ active: string; running: { active: { modelId: string } } }>(
      gateway,
      'POST',
      `/api/models/${keptName}/activate`,
    );
    log(
      `activated ${activated.active} (${activated.running.active.modelId}) through the API, without a restart`,
    );
    await writeResults(options, kept, defaultAccuracy, runs, listed.length);
  } finally {
    await gateway.process.stop();
  }
}

async function writeResults(
  options: StudyOptions,
  kept: Run,
  defaultAccuracy: number,
  runs: readonly Run[],
  stored: number,
): Promise<void> {
  const table = studyTable(defaultAccuracy, runs, options.reviews);
  const method =
    `Line \`${options.line.name}\` (${options.line.description}), rendered by \`apps/synth-cables\` ` +
    `(image seed ${options.imageSeed}); ${stored} of its photos uploaded over UDP by ${CAMERAS} emulated cameras ` +
    `and classified by the default model; N per label reviewed through \`PUT /api/images/<id>/review\`; each ` +
    `model trained with \`npm run train -- --store <STORAGE_DIR> --test <held-out> [--from models/default]\` ` +
    `(${options.epochs} epochs, wasm, seeds ${options.seeds.join(', ')}: mean, then the lowest and highest) ` +
    `and scored on the same ${options.heldOut * CABLE_LABELS.length} held-out photos of the line, never reviewed.`;
  const perRun = runs.map(
    (run) =>
      `| ${run.reviewsPerLabel} | ${run.start} | ${run.seed} | ${pct(run.accuracy)} | ${run.seconds.toFixed(0)} |`,
  );
  const markdown = [
    `# Review loop on the ${options.line.name} line (${new Date().toISOString().slice(0, 10)})`,
    '',
    method,
    '',
    table,
    '',
    '| reviewed per label | start | seed | held-out accuracy | seconds (training and scoring) |',
    '| ---: | --- | ---: | ---: | ---: |',
    ...perRun,
    '',
    `Command: \`npm run study:review-loop -- --line ${options.line.name} --reviews ${options.reviews.join(',')} ` +
      `--held-out ${options.heldOut} --seeds ${options.seeds.join(',')} --epochs ${options.epochs}\``,
    '',
  ].join('\n');
  await mkdir(options.out, { recursive: true });
  const resultPath = join(options.out, `${new Date().toISOString().slice(0, 10)}-review-loop.md`);
  await writeFile(resultPath, markdown);
  const keptDir = join(REPOSITORY, 'models', options.keep);
  await cp(kept.dir, keptDir, { recursive: true });
  const report = await readFile(join(keptDir, 'report.md'), 'utf8');
  await writeFile(
    join(keptDir, 'report.md'),
    `${report}\n## The review loop it came from\n\n${method}\n\n${table}\n\nThis model: ${kept.reviewsPerLabel} ` +
      `reviewed photos per label, fine-tuned from the default model, seed ${kept.seed}.\n`,
  );
  log(`wrote ${resultPath} and ${resolve(keptDir)}`);
  console.log(`\n${table}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);

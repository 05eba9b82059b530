import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { ClassifierPool } from '../../src/classification/classifier-pool.js';
import { singleModel } from '../../src/classification/worker-protocol.js';
import { prepareAssets, tinyModel, type BenchAssets } from './assets.js';
import type { BenchContext } from './bench-context.js';
import { SCALES, type BenchOptions } from './bench-options.js';
import { renderChart } from './chart.js';
import { runClassification } from './classification-bench.js';
import type { ProfileSummary } from './cpu-profile.js';
import { figureLine, SECTIONS, type Figure, type Section } from './figures.js';
import { runFleetBench } from './fleet-bench.js';
import { runFlood } from './flood-bench.js';
import { runHttpLoad } from './http-load-bench.js';
import { stopSharedGateways } from './gateway-runs.js';
import { runNoBlocking } from './no-blocking-bench.js';
import { runPacketPath } from './packet-path.js';
import { runRetention } from './retention-bench.js';
import { runVerdictLatency } from './verdict-latency-bench.js';
import { loadSnapshot, othersLoad } from './process-stats.js';
import { chartPanels, checkTargets, renderReport, statusText, type TargetCheck } from './report.js';

/** Where the bench writes. */
export interface BenchStreams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** What a run produced. */
export interface BenchOutcome {
  readonly figures: readonly Figure[];
  readonly targets: readonly TargetCheck[];
  readonly reportPath: string;
  readonly chartPath: string;
  /** Sections that failed to run (their error is in the report's notes). */
  readonly failedSections: readonly Section[];
}

function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
    return `${commit}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** Other processes busier than this (in cores, on average) make a section's figures suspect. */
const SHARED_MACHINE_CORES = 0.25;

function sharingLine(start: ReturnType<typeof loadSnapshot>, loadAtStart: number, cores: number): string {
  const others = othersLoad(start, loadSnapshot());
  const measured =
    others === undefined
      ? ''
      : `; other processes kept ${others.toFixed(2)} of ${cores} cores busy on average during the run`;
  return `Machine load: 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end${measured}`;
}

/** Checks that the chosen model loads in a worker, as the gateway will; a tiny stand-in otherwise. */
async function checkedAssets(workDir: string, progress: (message: string) => void): Promise<BenchAssets> {
  const assets = await prepareAssets(workDir);
  if (assets.model.kind === 'tiny') {
    progress(`model: tiny stand-in (${assets.model.reason})`);
    return assets;
  }
  const pool = new ClassifierPool({
    models: singleModel(assets.model.dir),
    backend: 'cpu',
    workers: 1,
    queueMax: 1,
    batchMax: 1,
  });
  try {
    const model = await pool.start();
    progress(`model: models/default (${model.labels.join(', ')}; input ${model.inputSize.join('×')})`);
    return assets;
  } catch (error) {
    const reason = `models/default did not load: ${(error as Error).message}`;
    progress(`model: tiny stand-in (${reason})`);
    return { ...assets, model: await tinyModel(workDir, reason) };
  } finally {
    await pool.close();
  }
}

/** The flags of the command line that made this run (after `npm run bench`). */
function benchFlags(options: BenchOptions): string {
  const flags = [
    ...(options.mode === 'full' ? [] : [`--${options.mode}`]),
    ...(options.sections.length === SECTIONS.length ? [] : [`--only ${options.sections.join(',')}`]),
    ...(options.profile ? ['--profile'] : []),
  ];
  return flags.length === 0 ? '' : ` -- ${flags.join(' ')}`;
}

function environment(assets: BenchAssets, options: BenchOptions, sharing: string): string[] {
  const cpu = cpus();
  return [
    sharing,
    `Node ${process.version}, ${type()} ${release()}, ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `cable-inspector ${gitDescription()}`,
    `model: ${assets.model.kind === 'default' ? 'models/default' : `tiny stand-in (${assets.model.reason})`}; backends measured: ${assets.backends.join(', ')}; the gateway's INFERENCE_BACKEND=${assets.bestBackend}`,
    'Gateways: `node dist/src/main.js` in child processes (NODE_ENV=production, JSON logs at warn level to a file, ' +
      'SHUTDOWN_GRACE_MS=0, otherwise default settings unless a section says otherwise), on 127.0.0.1; load generators in the bench process.',
    `Command: npm run bench${benchFlags(options)}`,
  ];
}

/**
 * Runs the selected sections, prints one line per figure (stdout) and progress (stderr), and writes
 * the report and the chart into `options.outDir`. A section that fails is reported and the others
 * still run.
 */
export async function runBench(options: BenchOptions, streams: BenchStreams): Promise<BenchOutcome> {
  const startedAt = new Date();
  const scale = SCALES[options.mode];
  const workDir = await mkdtemp(join(tmpdir(), 'cable-inspector-bench-'));
  const figures: Figure[] = [];
  const notes: string[] = [];
  const profiles: ProfileSummary[] = [];
  const failedSections: Section[] = [];
  const progress = (message: string): void => void streams.stderr.write(`${message}\n`);
  progress(`bench (${options.mode}): work folder ${workDir}`);
  const runLoad = loadSnapshot();
  const loadAtStart = loadavg()[0]!;
  const cores = cpus().length;
  try {
    const assets = await checkedAssets(workDir, progress);
    const context: BenchContext = {
      mode: options.mode,
      scale,
      workDir,
      profile: options.profile,
      assets,
      progress,
      record(figure) {
        figures.push(figure);
        streams.stdout.write(`${figureLine(figure)}\n`);
      },
      note: (text) => void notes.push(text),
      addProfile: (summary) => void profiles.push(summary),
      sharedGateways: new Map(),
    };
    let classifierRate: number | undefined;
    const sections: Record<Section, () => Promise<unknown>> = {
      'packet-path': () => runPacketPath(context),
      fleet: () => runFleetBench(context),
      classification: async () => {
        const result = await runClassification(context);
        classifierRate = result.backends.find(
          (backend) => backend.backend === assets.bestBackend,
        )?.imagesPerSecond;
      },
      'no-blocking': () => runNoBlocking(context, classifierRate),
      'http-load': () => runHttpLoad(context),
      'verdict-latency': () => runVerdictLatency(context),
      memory: () => runFlood(context),
      retention: () => runRetention(context),
    };
    for (const section of options.sections) {
      const sectionStartedAt = performance.now();
      const sectionLoad = loadSnapshot();
      try {
        await sections[section]();
        const others = othersLoad(sectionLoad, loadSnapshot());
        const sharing =
          others === undefined
            ? ''
            : `; other processes kept ${others.toFixed(2)} of ${cores} cores busy meanwhile`;
        progress(
          `${section}: done in ${((performance.now() - sectionStartedAt) / 1000).toFixed(1)} s${sharing}`,
        );
        if (others !== undefined && others > SHARED_MACHINE_CORES) {
          notes.push(
            `While ${section} ran, other processes kept ${others.toFixed(2)} of ${cores} cores busy: its figures are lower than this machine can do alone.`,
          );
        }
      } catch (error) {
        failedSections.push(section);
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        notes.push(`Section ${section} failed: ${message.split('\n')[0]}`);
        progress(`${section}: FAILED: ${message}`);
      }
    }
    await stopSharedGateways(context);
    const targets = checkTargets(figures, options.sections.includes('fleet') ? scale.fleetDevices : 0);
    for (const check of targets) {
      streams.stdout.write(`target ${check.name}: ${check.measured}: ${statusText(check)}\n`);
    }
    const date = startedAt.toISOString().slice(0, 10);
    const suffix = options.mode === 'full' ? '' : `-${options.mode}`;
    const chartFile = `${date}${suffix}.svg`;
    const reportPath = join(options.outDir, `${date}${suffix}.md`);
    const chartPath = join(options.outDir, chartFile);
    await mkdir(options.outDir, { recursive: true });
    const title = `cable-inspector benchmark, ${date}`;
    await writeFile(chartPath, renderChart(`${title} (${options.mode})`, chartPanels(figures)));
    await writeFile(
      reportPath,
      renderReport({
        title,
        mode: options.mode,
        startedAt,
        durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
        environment: environment(assets, options, sharingLine(runLoad, loadAtStart, cores)),
        figures,
        targets,
        notes,
        profiles,
        chartFile,
      }),
    );
    streams.stdout.write(`report ${reportPath}\nchart ${chartPath}\n`);
    return { figures, targets, reportPath, chartPath, failedSections };
  } finally {
    if (options.keep) progress(`kept the work folder ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
}

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { niceStep, renderChart } from '../bench/src/chart.js';
import { requiredFigureKeys } from '../bench/src/figures.js';
import { BENCH_USAGE } from '../bench/src/bench-options.js';
import { checkTargets, TARGETS } from '../bench/src/report.js';
import { DEFAULT_RESULTS_DIR } from '../bench/src/main.js';

/** The compiled bench, as `npm run bench` runs it. */
const BENCH = fileURLToPath(new URL('../bench/src/main.js', import.meta.url));

/** Far more than a smoke run takes (about 30 s on 2 busy cores). */
const SMOKE_TIMEOUT_MS = 180_000;

/** Figure lines: `figure <key> = <value> <unit>  <label>`. */
const FIGURE_LINE = /^figure (\S+) = (\S+) /gm;

/**
 * `npm run bench -- --smoke`: the whole bench at its smallest (timings are not asserted, the
 * machine running the tests is busy): every figure printed, the report and the chart written.
 */
describe('bench, smoke run', () => {
  let outDir: string;
  let stdout = '';
  let stderr = '';
  let code: number | null;

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'cable-inspector-bench-smoke-'));
    const child = spawn(process.execPath, [BENCH, '--smoke', '--out', outDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A hung run fails the test with its output instead of holding the suite.
    const timer = setTimeout(() => child.kill('SIGTERM'), SMOKE_TIMEOUT_MS);
    code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
  });

  after(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('runs every section without failing', () => {
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.doesNotMatch(stderr, /FAILED/);
  });

  it('prints one line per figure, each with a number', () => {
    const printed = new Map([...stdout.matchAll(FIGURE_LINE)].map((match) => [match[1]!, match[2]!]));
    for (const key of requiredFigureKeys()) {
      assert.ok(printed.has(key), `figure ${key} missing from:\n${stdout}`);
      assert.match(printed.get(key)!, /^-?[\d,.]+$/, `figure ${key} = ${printed.get(key)}`);
    }
  });

  it('prints every target with its status', () => {
    const targets = stdout.split('\n').filter((line) => line.startsWith('target '));
    assert.equal(targets.length, 7, stdout);
    for (const line of targets) assert.match(line, /: (met|NOT MET)$/);
  });

  it('writes the report, with the targets, every section and the chart, and the chart as SVG', async () => {
    const files = (await readdir(outDir)).sort();
    assert.equal(files.length, 2, files.join(', '));
    const [report, chart] = [
      files.find((file) => file.endsWith('.md'))!,
      files.find((file) => file.endsWith('.svg'))!,
    ];
    assert.match(report, /^\d{4}-\d{2}-\d{2}-smoke\.md$/);
    const markdown = await readFile(join(outDir, report), 'utf8');
    assert.match(markdown, /^## Targets \(issues 6, 7 and 14\)$/m);
    for (const heading of [
      'Packet path',
      'Fleet',
      'Classification',
      'No blocking',
      'HTTP load',
      'Verdict latency',
      'Memory',
      'How it was measured',
      'Environment',
    ]) {
      assert.match(markdown, new RegExp(`^## ${heading}`, 'm'));
    }
    assert.ok(markdown.includes(`![benchmark chart](${chart})`));
    const svg = await readFile(join(outDir, chart), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/class="panel-title"/g) ?? []).length, 7);
    assert.match(stdout, new RegExp(`^report ${join(outDir, report)}$`, 'm'));
  });
});

describe('bench pieces', () => {
  it('checks the targets of issues 6, 7 and 14 against the figures', () => {
    const figure = (key: string, value: number) => ({
      key,
      section: 'fleet' as const,
      label: key,
      value,
      unit: '',
    });
    const checks = checkTargets(
      [
        figure('packet-path.spool-on.n16.ratio', 0.85),
        figure('packet-path.spool-off.n16.ratio', 0.5),
        figure('packet-path.spool-cost.n16', 10.5),
        figure('fleet.failures', 0),
        figure('no-blocking.ratio', 2.5),
        figure('verdict-latency.burst-p99-ms', 200),
        figure('memory.rss-fleet-peak-mb', 299),
      ],
      TARGETS.fleetDevices,
    );
    assert.deepEqual(
      checks.map((check) => check.met),
      [true, false, false, true, false, true, true],
    );
    assert.deepEqual(
      checkTargets([], 0).map((check) => check.met),
      [null, null, null, null, null, null, null],
    );
  });

  it('draws bars on round ticks, n/a for what was not measured', () => {
    assert.deepEqual([niceStep(9), niceStep(23_000), niceStep(0)], [2, 5000, 1]);
    const svg = renderChart('t', [
      { title: 'p', unit: 'u', groups: [{ label: 'g', bars: [{ series: 's', value: null }] }] },
    ]);
    assert.match(svg, />n\/a</);
  });

  it('documents its options and writes into bench/results by default', () => {
    for (const option of ['--quick', '--smoke', '--only', '--out', '--profile'])
      assert.ok(BENCH_USAGE.includes(option));
    assert.match(DEFAULT_RESULTS_DIR, /bench\/results$/);
  });
});

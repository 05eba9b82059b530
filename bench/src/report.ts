import type { BenchMode } from './bench-options.js';
import type { Panel } from './chart.js';
import type { ProfileSummary } from './cpu-profile.js';
import { formatValue, PACKET_PATH_DEVICES, SECTION_TITLES, SECTIONS, type Figure } from './figures.js';

/** One target and whether this run met it. */
export interface TargetCheck {
  readonly name: string;
  readonly measured: string;
  /** Null: not measured in this run. */
  readonly met: boolean | null;
  readonly remark?: string;
}

/** The run the report describes. */
export interface ReportInput {
  readonly title: string;
  readonly mode: BenchMode;
  readonly startedAt: Date;
  readonly durationSeconds: number;
  readonly environment: readonly string[];
  readonly figures: readonly Figure[];
  readonly targets: readonly TargetCheck[];
  readonly notes: readonly string[];
  readonly profiles: readonly ProfileSummary[];
  /** File name of the chart, beside the report. */
  readonly chartFile: string;
}

/** Limits of issues 6, 7 and 14. */
export const TARGETS = Object.freeze({
  packetRatioAt16: 0.8,
  fleetDevices: 255,
  pingRatio: 2,
  /** Issue 14: p99 of the verdicts of cameras uploading at once, end of upload to op-4 result. */
  verdictBurstP99Ms: 200,
  fleetRssMb: 300,
  /** Issue 7: the spool may cost at most this share of the packet path at 16 devices. */
  spoolCostPercent: 10,
});

function valueOf(figures: readonly Figure[], key: string): number | null | undefined {
  return figures.find((figure) => figure.key === key)?.value;
}

/** Checks the targets against the figures of a run (a target whose figure is missing: null). */
export function checkTargets(figures: readonly Figure[], fleetDevices: number): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratio = (spool: string): TargetCheck => {
    const value = valueOf(figures, `packet-path.${spool}.n16.ratio`);
    return {
      name: `Packet path ≥ ${TARGETS.packetRatioAt16} × baseline at 16 devices (${spool === 'spool-on' ? 'spool on, the default' : 'spool off'})`,
      measured: value === undefined ? 'not run' : `${formatValue(value)} ×`,
      met: value === undefined || value === null ? null : value >= TARGETS.packetRatioAt16,
    };
  };
  checks.push(ratio('spool-on'), ratio('spool-off'));
  const spoolCost = valueOf(figures, 'packet-path.spool-cost.n16');
  checks.push({
    name: `Spool costs ≤ ${TARGETS.spoolCostPercent}% of the packet path at 16 devices (issue 7)`,
    measured: spoolCost === undefined ? 'not run' : `${formatValue(spoolCost)}%`,
    met: spoolCost === undefined || spoolCost === null ? null : spoolCost <= TARGETS.spoolCostPercent,
  });
  const failures = valueOf(figures, 'fleet.failures');
  checks.push({
    name: `${TARGETS.fleetDevices}-device fleet (A and B, 5% loss) with zero failures`,
    measured: failures === undefined ? 'not run' : `${formatValue(failures)} failed, ${fleetDevices} devices`,
    met: failures === undefined || failures === null ? null : failures === 0,
    remark:
      fleetDevices < TARGETS.fleetDevices && failures !== undefined
        ? `only ${fleetDevices} devices in this mode`
        : undefined,
  });
  const pingRatio = valueOf(figures, 'no-blocking.ratio');
  checks.push({
    name: `Ping p99 with the classifier saturated ≤ ${TARGETS.pingRatio} × idle`,
    measured: pingRatio === undefined ? 'not run' : `${formatValue(pingRatio)} ×`,
    met: pingRatio === undefined || pingRatio === null ? null : pingRatio <= TARGETS.pingRatio,
  });
  const burstP99 = valueOf(figures, 'verdict-latency.burst-p99-ms');
  checks.push({
    name: `Verdict latency p99 ≤ ${TARGETS.verdictBurstP99Ms} ms with cameras uploading at once (issue 14)`,
    measured: burstP99 === undefined ? 'not run' : `${formatValue(burstP99)} ms`,
    met: burstP99 === undefined || burstP99 === null ? null : burstP99 <= TARGETS.verdictBurstP99Ms,
  });
  const rss = valueOf(figures, 'memory.rss-fleet-peak-mb');
  checks.push({
    name: `Gateway RSS < ${TARGETS.fleetRssMb} MB during the fleet run`,
    measured: rss === undefined ? 'not run' : `${formatValue(rss)} MB`,
    met: rss === undefined || rss === null ? null : rss < TARGETS.fleetRssMb,
  });
  return checks;
}

/** `met`, `NOT MET`, or `not measured`. */
export function statusText(check: TargetCheck): string {
  return check.met === null ? 'not measured' : check.met ? 'met' : 'NOT MET';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The report, in Markdown. */
export function renderReport(input: ReportInput): string {
  const lines: string[] = [
    `# ${input.title}`,
    '',
    `${input.startedAt.toISOString()}, mode **${input.mode}**, ${input.durationSeconds.toFixed(0)} s.` +
      (input.mode === 'full' ? '' : ' Smaller counts than the full run: figures are indicative only.'),
    '',
    '## Targets (issues 6, 7 and 14)',
    '',
    '| Target | Measured | Status |',
    '|---|---|---|',
    ...input.targets.map(
      (check) =>
        `| ${cell(check.name)} | ${cell(check.measured)}${check.remark ? ` (${cell(check.remark)})` : ''} | ${check.met === false ? '**NOT MET**' : statusText(check)} |`,
    ),
    '',
    `![benchmark chart](${input.chartFile})`,
    '',
  ];
  for (const section of SECTIONS) {
    const figures = input.figures.filter((figure) => figure.section === section);
    if (figures.length === 0) continue;
    lines.push(`## ${SECTION_TITLES[section]}`, '', '| Figure | Value | Detail |', '|---|---:|---|');
    for (const figure of figures) {
      lines.push(
        `| ${cell(figure.label)} | ${formatValue(figure.value)} ${cell(figure.unit)} | ${cell(figure.detail ?? '')} |`,
      );
    }
    lines.push('');
  }
  lines.push('## How it was measured', '', ...input.notes.map((note) => `- ${note}`), '');
  if (input.profiles.length > 0) {
    lines.push('## CPU profiles of the gateway children', '');
    for (const profile of input.profiles) {
      lines.push(
        `### ${profile.name}`,
        '',
        `${profile.busyMs.toFixed(0)} ms busy of ${profile.wallMs.toFixed(0)} ms sampled.`,
        '',
        '| Self time | % | Function |',
        '|---:|---:|---|',
        ...profile.self
          .slice(0, 12)
          .map(
            (entry) =>
              `| ${entry.ms.toFixed(0)} ms | ${entry.percent.toFixed(1)} | \`${cell(entry.name)}\` |`,
          ),
        '',
        '| By package | % |',
        '|---|---:|',
        ...profile.packages
          .slice(0, 8)
          .map((entry) => `| ${cell(entry.name)} | ${entry.percent.toFixed(1)} |`),
        '',
      );
    }
  }
  lines.push('## Environment', '', ...input.environment.map((line) => `- ${line}`), '');
  return lines.join('\n');
}

/** The chart's panels, from whatever sections ran. */
export function chartPanels(figures: readonly Figure[]): Panel[] {
  const value = (key: string): number | null => valueOf(figures, key) ?? null;
  const panels: Panel[] = [];
  if (figures.some((figure) => figure.section === 'packet-path')) {
    panels.push({
      title: 'Packet path: ACKed packets per second',
      unit: 'ACK/s',
      groups: PACKET_PATH_DEVICES.map((devices) => ({
        label: `${devices} device${devices > 1 ? 's' : ''}`,
        bars: [
          { series: 'baseline', value: value(`packet-path.baseline.n${devices}.acks-per-second`) },
          { series: 'gateway, spool on', value: value(`packet-path.spool-on.n${devices}.acks-per-second`) },
          { series: 'gateway, spool off', value: value(`packet-path.spool-off.n${devices}.acks-per-second`) },
        ],
      })),
    });
  }
  if (figures.some((figure) => figure.section === 'no-blocking')) {
    const p99Idle = value('no-blocking.ping-p99-idle-ms');
    panels.push({
      title: 'Ping round trip p99',
      unit: 'ms',
      groups: [
        {
          label: 'p99',
          bars: [
            { series: 'idle', value: p99Idle },
            { series: 'classifier saturated', value: value('no-blocking.ping-p99-saturated-ms') },
          ],
        },
      ],
      threshold: p99Idle === null ? undefined : { value: 2 * p99Idle, label: 'target: 2 × idle' },
    });
  }
  if (figures.some((figure) => figure.section === 'http-load')) {
    panels.push({
      title: 'Ping round trip p99 under HTTP load',
      unit: 'ms',
      groups: [
        {
          label: 'p99',
          bars: [
            { series: 'HTTP idle', value: value('http-load.ping-p99-idle-ms') },
            { series: 'requests to /images', value: value('http-load.ping-p99-loaded-ms') },
          ],
        },
      ],
    });
  }
  if (figures.some((figure) => figure.section === 'verdict-latency')) {
    panels.push({
      title: 'Verdict latency: end of upload to op-4 result',
      unit: 'ms',
      groups: (['burst', 'steady'] as const).map((phase) => ({
        label: phase === 'burst' ? 'cameras at once' : 'an image a second each',
        bars: [
          { series: 'p50', value: value(`verdict-latency.${phase}-p50-ms`) },
          { series: 'p99', value: value(`verdict-latency.${phase}-p99-ms`) },
        ],
      })),
      threshold: {
        value: TARGETS.verdictBurstP99Ms,
        label: `target (burst p99): ${TARGETS.verdictBurstP99Ms} ms`,
      },
    });
  }
  if (figures.some((figure) => figure.section === 'memory')) {
    panels.push({
      title: 'Gateway resident memory',
      unit: 'MB',
      groups: [
        {
          label: 'idle',
          bars: [
            { series: 'gateway', value: value('memory.rss-idle-mb') },
            { series: 'classifier process', value: value('memory.classifier-rss-idle-mb') },
          ],
        },
        {
          label: 'fleet peak',
          bars: [
            { series: 'gateway', value: value('memory.rss-fleet-peak-mb') },
            { series: 'classifier process', value: value('memory.classifier-rss-fleet-peak-mb') },
          ],
        },
        { label: 'flood peak', bars: [{ series: 'gateway', value: value('memory.rss-flood-peak-mb') }] },
      ],
      threshold: { value: TARGETS.fleetRssMb, label: `target (fleet): ${TARGETS.fleetRssMb} MB` },
    });
  }
  const backends = figures
    .filter((figure) => figure.section === 'classification' && figure.key.endsWith('.images-per-second'))
    .map((figure) => figure.key.split('.')[1]!);
  if (backends.length > 0) {
    panels.push({
      title: 'Classification per backend (1 worker)',
      unit: 'images/s',
      groups: backends.map((backend) => ({
        label: backend,
        bars: [{ series: 'images/s', value: value(`classification.${backend}.images-per-second`) }],
      })),
    });
  }
  if (figures.some((figure) => figure.section === 'fleet')) {
    panels.push({
      title: 'Fleet throughput',
      unit: 'per second',
      groups: [
        { label: 'images/s', bars: [{ series: 'fleet', value: value('fleet.images-per-second') }] },
        { label: 'MB/s', bars: [{ series: 'fleet', value: value('fleet.megabytes-per-second') }] },
      ],
    });
  }
  return panels;
}

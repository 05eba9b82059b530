import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) this reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Time spent in one function, or one package. */
export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time. */
  readonly percent: number;
}

/** Where a process spent its CPU time while profiled. */
export interface ProfileSummary {
  /** Which child: `gateway (packet path, spool on)`, … */
  readonly name: string;
  readonly file: string;
  readonly wallMs: number;
  /** Sampled time not idle. */
  readonly busyMs: number;
  /** Functions by time spent in their own code. */
  readonly self: readonly ProfileEntry[];
  /** Functions by time spent in them and what they called. */
  readonly inclusive: readonly ProfileEntry[];
  /** Own time by package or part of the code base. */
  readonly packages: readonly ProfileEntry[];
}

/** Entries kept per list. */
const TOP = 15;

/** V8's pseudo-frames with no code of their own. */
const IDLE = '(idle)';
const ROOT = '(root)';

/** Where a frame's code lives: a package, the gateway's own code, node itself, or a V8 pseudo-frame. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : 'native';
  if (url.startsWith('node:')) return 'node internals';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  const own = /\/dist\/((?:src|libs\/[^/]+|apps\/[^/]+|bench)\b)/.exec(url);
  if (own) return own[1]!;
  return 'other';
}

function shortUrl(url: string): string {
  const own = /\/dist\/(.*)$/.exec(url);
  if (own) return own[1]!;
  const modules = /node_modules\/(.*)$/.exec(url);
  if (modules) return modules[1]!;
  return url.replace(/^file:\/\//, '');
}

function top(totals: Map<string, number>, busyMs: number): ProfileEntry[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, ms]) => ({ name, ms, percent: busyMs > 0 ? (100 * ms) / busyMs : 0 }));
}

/** Reads a `.cpuprofile` and sums where the time went. */
export function summarizeProfile(name: string, file: string, profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (id: number): string => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const fn = functionName === '' ? '(anonymous)' : functionName;
    return url === '' ? fn : `${fn} ${shortUrl(url)}:${lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, index) => {
    // The delta after a sample is the time it stands for.
    const us = profile.timeDeltas[index + 1] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === IDLE) return;
    busyUs += us;
    const key = keyOf(id);
    self.set(key, (self.get(key) ?? 0) + us);
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frameName = byId.get(at)!.callFrame.functionName;
      if (frameName === ROOT) break;
      const stackKey = keyOf(at);
      if (seen.has(stackKey)) continue;
      seen.add(stackKey);
      inclusive.set(stackKey, (inclusive.get(stackKey) ?? 0) + us);
    }
  });
  const toMs = (totals: Map<string, number>): Map<string, number> =>
    new Map([...totals].map(([key, us]) => [key, us / 1000]));
  const busyMs = busyUs / 1000;
  return {
    name,
    file,
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs,
    self: top(toMs(self), busyMs),
    inclusive: top(toMs(inclusive), busyMs),
    packages: top(toMs(packages), busyMs),
  };
}

/** Summaries of every `.cpuprofile` in `directory` (one per process and thread that ran there). */
export async function summarizeProfiles(name: string, directory: string): Promise<ProfileSummary[]> {
  let files: string[];
  try {
    files = (await readdir(directory)).filter((file) => file.endsWith('.cpuprofile')).sort();
  } catch {
    return [];
  }
  const summaries: ProfileSummary[] = [];
  for (const file of files) {
    const path = join(directory, file);
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    summaries.push(summarizeProfile(files.length > 1 ? `${name} [${file}]` : name, path, profile));
  }
  return summaries;
}

/** A summary as text lines, for the console. */
export function formatProfile(summary: ProfileSummary): string {
  const list = (title: string, entries: readonly ProfileEntry[], count: number): string[] => [
    `  ${title}:`,
    ...entries
      .slice(0, count)
      .map(
        (entry) =>
          `    ${entry.percent.toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.name}`,
      ),
  ];
  return [
    `profile ${summary.name}: ${summary.busyMs.toFixed(0)} ms busy of ${summary.wallMs.toFixed(0)} ms (${summary.file})`,
    ...list('by package (self time)', summary.packages, 8),
    ...list('hottest functions (self time)', summary.self, 12),
    ...list('heaviest call paths (inclusive time)', summary.inclusive, 12),
  ].join('\n');
}

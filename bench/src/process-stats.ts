import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run on). */
const CLOCK_TICKS_PER_SECOND = 100;

const BYTES_PER_KB = 1024;

/**
 * Resident memory of process `pid`, in bytes: VmRSS from /proc/<pid>/status, or `ps` where there
 * is no /proc. Undefined once the process is gone.
 */
export function residentBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * BYTES_PER_KB : undefined;
  } catch {
    try {
      const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
      return Number.isFinite(kb) && kb > 0 ? kb * BYTES_PER_KB : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * CPU time process `pid` has used so far, every thread included (user + system), in milliseconds,
 * from /proc/<pid>/stat (10 ms resolution). Undefined where there is no /proc.
 */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU time of this process (every thread), in milliseconds. */
export function ownCpuTimeMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Peak and last resident memory seen by a {@link RssSampler}. */
export interface RssPeak {
  readonly peakBytes: number;
  readonly samples: number;
}

/** Polls a process's resident memory on a timer and keeps the peak. */
export class RssSampler {
  private peak = 0;
  private count = 0;
  /** The first sample, taken when the sampler was made (0 when there was none). */
  first = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Stops sampling (one last sample first) and returns the peak seen. */
  stop(): RssPeak {
    this.sample();
    clearInterval(this.timer);
    return { peakBytes: this.peak, samples: this.count };
  }

  private sample(): void {
    const bytes = residentBytes(this.pid);
    if (bytes === undefined) return;
    if (this.count === 0) this.first = bytes;
    this.count++;
    if (bytes > this.peak) this.peak = bytes;
  }
}

/** CPU time of the whole machine and of this process tree at one moment (see {@link othersLoad}). */
export interface LoadSnapshot {
  readonly atMs: number;
  /** Busy time of every CPU (user, nice, system, irq, softirq, steal), in milliseconds. */
  readonly machineBusyMs: number;
  /** This process and its children that have exited. */
  readonly treeMs: number;
}

/** A snapshot for {@link othersLoad}; undefined where there is no /proc. */
export function loadSnapshot(): LoadSnapshot | undefined {
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    const ticks = cpu!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = ticks[0]! + ticks[1]! + ticks[2]! + ticks[5]! + ticks[6]! + (ticks[7] ?? 0);
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14-17 of the line.
    const tree = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return {
      atMs: performance.now(),
      machineBusyMs: (busy * 1000) / CLOCK_TICKS_PER_SECOND,
      treeMs: (tree * 1000) / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/**
 * Cores other processes kept busy between two snapshots, on average: the machine's busy time
 * minus this process tree's (children count once they have exited, so take `to` after stopping
 * them). Undefined without /proc.
 */
export function othersLoad(from: LoadSnapshot | undefined, to: LoadSnapshot | undefined): number | undefined {
  if (!from || !to || to.atMs <= from.atMs) return undefined;
  const others = to.machineBusyMs - from.machineBusyMs - (to.treeMs - from.treeMs);
  return Math.max(0, others / (to.atMs - from.atMs));
}

/**
 * Datagrams the kernel dropped because a UDP socket's receive buffer was full (RcvbufErrors of
 * /proc/net/snmp), machine-wide; undefined without /proc.
 */
export function udpReceiveBufferErrors(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const value = Number(values[names.indexOf('RcvbufErrors')]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Time a thread spent running, and runnable but waiting for a CPU, in milliseconds. */
export interface SchedulerTimes {
  readonly runMs: number;
  readonly waitMs: number;
}

/**
 * Scheduler times of the main thread of process `pid` (its event loop), from
 * /proc/<pid>/task/<pid>/schedstat; undefined where the kernel does not keep them.
 */
export function mainThreadScheduling(pid: number): SchedulerTimes | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
      .trim()
      .split(' ')
      .map(Number);
    if (!Number.isFinite(run) || !Number.isFinite(wait)) return undefined;
    return { runMs: run! / 1e6, waitMs: wait! / 1e6 };
  } catch {
    return undefined;
  }
}

/** `on a CPU 7%, waiting for one 7%` between two readings over `elapsedMs`; empty without readings. */
export function describeScheduling(
  before: SchedulerTimes | undefined,
  after: SchedulerTimes | undefined,
  elapsedMs: number,
): string {
  if (!before || !after || elapsedMs <= 0) return '';
  const share = (ms: number): string => `${Math.round((100 * ms) / elapsedMs)}%`;
  return `gateway event loop on a CPU ${share(after.runMs - before.runMs)}, runnable but waiting for a CPU ${share(after.waitMs - before.waitMs)}`;
}

/** Process ids of the children of process `pid` (every thread's), from /proc; empty without /proc. */
export function childProcessIds(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((thread) =>
      readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter((field) => field.length > 0)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** CPU time, in ms, of a gateway, its classifier process, this bench process and every other process. */
export interface CpuShares {
  readonly gateway: number;
  readonly classifier: number;
  readonly bench: number;
  readonly others: number;
}

/** Measures {@link CpuShares} from its making to each `used()`. */
export class CpuWatch {
  private readonly classifierPid: number | undefined;
  private readonly start: Omit<CpuShares, 'others'>;
  private readonly machine = loadSnapshot();
  private readonly startedAt = performance.now();

  constructor(private readonly gatewayPid: number) {
    [this.classifierPid] = childProcessIds(gatewayPid);
    this.start = this.read();
  }

  used(): CpuShares {
    const now = this.read();
    const others = othersLoad(this.machine, loadSnapshot()) ?? 0;
    return {
      gateway: now.gateway - this.start.gateway,
      classifier: now.classifier - this.start.classifier,
      bench: now.bench - this.start.bench,
      // The others' share is machine-wide busy time less this tree's, whose live children it misses.
      others: Math.max(
        0,
        others * (performance.now() - this.startedAt) -
          (now.gateway - this.start.gateway) -
          (now.classifier - this.start.classifier),
      ),
    };
  }

  private read(): Omit<CpuShares, 'others'> {
    return {
      gateway: cpuTimeMs(this.gatewayPid) ?? 0,
      classifier: this.classifierPid === undefined ? 0 : (cpuTimeMs(this.classifierPid) ?? 0),
      bench: ownCpuTimeMs(),
    };
  }
}

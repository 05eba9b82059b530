/**
 * The Prometheus binaries for the tests: finding them, running `promtool`, and starting a
 * throw-away `prometheus` on loopback that scrapes a given target.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The absolute path of `name` on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Whether the tests that need some binaries can run. Outside CI a missing binary skips them with
 * `skip` as the reason; in CI (`CI` set) it is an error, thrown by `assertAvailable()`, because
 * `.ci/run` installs them.
 */
export interface ToolGate {
  readonly missing: readonly string[];
  /** For `describe`/`it` options: the reason to skip, or undefined to run. */
  readonly skip: string | undefined;
  /** Throws when a binary is missing (only reached in CI: elsewhere the tests are skipped). */
  assertAvailable(): void;
}

export function toolGate(names: readonly string[], debianPackage = 'prometheus'): ToolGate {
  const missing = names.filter((name) => findExecutable(name) === undefined);
  const message =
    `${missing.join(' and ')} not found on PATH: install Debian's ${debianPackage} package ` +
    `(apt-get install ${debianPackage}), as .ci/run does`;
  const inCi = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
  return {
    missing,
    skip: missing.length > 0 && !inCi ? message : undefined,
    assertAvailable() {
      if (missing.length > 0) throw new Error(`${message} (CI is set, so this fails instead of skipping)`);
    },
  };
}

/** What a finished command printed and how it ended. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` with `args`, feeding it `input`; kills it after `timeoutMs`. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** A TCP port of 127.0.0.1 that was free a moment ago. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`${what}: not within ${timeoutMs} ms${cause}`);
    }
    await sleep(intervalMs);
  }
}

/** One sample of an instant vector from the HTTP API. */
export interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** A target as `/api/v1/targets` lists it. */
export interface ActiveTarget {
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
  readonly labels: Record<string, string>;
}

/** A `prometheus` server of the test's own: its data and configuration live in a temp directory. */
export class PrometheusServer {
  private output = '';
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly directory: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.capture(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.capture(chunk));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Starts `prometheus` on a free port of 127.0.0.1, scraping `target` (host:port) at
   * `metricsPath` every second, and resolves once its API answers.
   */
  static async start(options: {
    target: string;
    jobName: string;
    metricsPath?: string;
  }): Promise<PrometheusServer> {
    const directory = await mkdtemp(join(tmpdir(), 'cable-inspector-prometheus-'));
    const configFile = join(directory, 'prometheus.yml');
    await writeFile(
      configFile,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        `  - job_name: ${JSON.stringify(options.jobName)}`,
        `    metrics_path: ${JSON.stringify(options.metricsPath ?? '/metrics')}`,
        '    static_configs:',
        `      - targets: [${JSON.stringify(options.target)}]`,
        '',
      ].join('\n'),
    );
    const port = await freeTcpPort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(directory, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(child, `http://127.0.0.1:${port}`, directory);
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    try {
      await eventually(
        'prometheus to answer /-/ready',
        async () => {
          if (spawnError !== undefined) throw spawnError;
          if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
          const response = await fetch(`${server.url}/-/ready`);
          return response.ok ? true : undefined;
        },
        20_000,
      );
    } catch (error) {
      await server.stop();
      throw new Error(`${(error as Error).message}\nprometheus output:\n${server.logs()}`, { cause: error });
    }
    return server;
  }

  /** What prometheus printed (the last 20 kB). */
  logs(): string {
    return this.output;
  }

  /** The targets of the scrape job `job`. */
  async targets(job: string): Promise<ActiveTarget[]> {
    const body = await this.api<{ activeTargets: ActiveTarget[] }>('/api/v1/targets?state=active');
    return body.activeTargets.filter((target) => target.labels.job === job);
  }

  /** Resolves once every target of `job` is up; throws with the targets' last errors after `timeoutMs`. */
  async waitForTargetsUp(job: string, timeoutMs: number): Promise<ActiveTarget[]> {
    let last: ActiveTarget[] = [];
    try {
      return await eventually(
        `the ${job} target to be up`,
        async () => {
          last = await this.targets(job);
          return last.length > 0 && last.every((target) => target.health === 'up') ? last : undefined;
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\ntargets: ${JSON.stringify(last)}\n${this.logs()}`, {
        cause: error,
      });
    }
  }

  /** Evaluates `expr` now. */
  async query(expr: string): Promise<VectorSample[]> {
    const body = await this.api<{ resultType: string; result: VectorSample[] }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );
    if (body.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${body.resultType}`);
    return body.result;
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and deletes its directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(killer);
    }
    await rm(this.directory, { recursive: true, force: true });
  }

  private async api<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`);
    return body.data;
  }

  private capture(chunk: string): void {
    this.output = (this.output + chunk).slice(-20_000);
  }
}

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint, LinkCounters, LinkDirection, LinkOptions } from '#camera-emulator';
import {
  parseUplinkLine,
  resultOfLine,
  type GenerationCBuild,
  type GenerationCResult,
} from './generation-c.js';
import { LossyRelay } from './lossy-relay.js';

/** Where `npm run build:firmware` puts the command (optimised; build/sanitized/ has the checked one). */
export const UPLINK_COMMAND = fileURLToPath(
  new URL('../../../../firmware/build/cable-uplink-send', import.meta.url),
);

/** The library's settings the simulator scales with `--time-scale` (cu_config_defaults). */
const LIBRARY_TIMING = Object.freeze({ replyTimeoutMs: 1000, minReplyTimeoutMs: 100, busyPauseMs: 500 });

export interface UplinkDeviceOptions {
  readonly server: Endpoint;
  readonly build: GenerationCBuild;
  readonly deviceId: number;
  /** The device's address as the gateway sees it (the relay's socket towards the gateway). */
  readonly bindAddress: string;
  readonly link?: LinkOptions;
  /** Multiplies the library's reply waits and busy pause. */
  readonly timeScale?: number;
  /** The command to run (default `UPLINK_COMMAND`). */
  readonly command?: string;
}

export interface UplinkUploadOptions {
  readonly deadlineMs?: number;
  readonly awaitAnalysisMs?: number;
  readonly signal?: AbortSignal;
}

/** A generation-C camera for the fleet: the C library's command behind its own lossy relay. */
export class UplinkDevice {
  readonly firmware: GenerationCBuild;
  readonly strayViolations: string[] = [];
  private uploads = 0;

  private constructor(
    private readonly options: UplinkDeviceOptions,
    private readonly relay: LossyRelay,
    private readonly directory: string,
  ) {
    this.firmware = options.build;
  }

  static async open(options: UplinkDeviceOptions): Promise<UplinkDevice> {
    const relay = await LossyRelay.open({
      target: options.server,
      upstreamAddress: options.bindAddress,
      link: options.link,
    });
    const directory = await mkdtemp(join(tmpdir(), 'esp-sim-c-'));
    return new UplinkDevice(options, relay, directory);
  }

  get local(): Endpoint {
    return this.relay.upstreamAddress;
  }

  get linkCounters(): Readonly<Record<LinkDirection, Readonly<LinkCounters>>> {
    return this.relay.counters;
  }

  /** Runs the command for `image` and returns how it went; never rejects. */
  async upload(image: Buffer, options: UplinkUploadOptions = {}): Promise<GenerationCResult> {
    const file = join(this.directory, `image-${this.uploads++}.jpg`);
    await writeFile(file, image);
    const awaitedMs = options.awaitAnalysisMs ?? 0;
    try {
      const run = await runCommand(
        this.options.command ?? UPLINK_COMMAND,
        this.argumentsFor(file, options),
        options.signal,
      );
      const lastLine = run.stdout.trim().split('\n').pop() ?? '';
      try {
        return resultOfLine(parseUplinkLine(lastLine), this.options.deviceId, awaitedMs);
      } catch {
        const why = run.signal === 'SIGTERM' ? 'aborted' : 'command-failed';
        return this.failed(
          image,
          why,
          `cable-uplink-send exited ${run.code ?? run.signal}: ${run.stderr.trim()}`,
        );
      }
    } finally {
      await rm(file, { force: true });
    }
  }

  async close(): Promise<void> {
    await this.relay.close();
    await rm(this.directory, { recursive: true, force: true });
  }

  private argumentsFor(file: string, options: UplinkUploadOptions): string[] {
    const scale = this.options.timeScale ?? 1;
    const scaled = (ms: number) => String(Math.max(1, Math.round(ms * scale)));
    const server = this.relay.address;
    const args = [
      '--server',
      `${server.address}:${server.port}`,
      '--id',
      String(this.options.deviceId),
      '--packet-size',
      String(this.firmware.maxPacketSize),
      '--reply-timeout',
      scaled(LIBRARY_TIMING.replyTimeoutMs),
      '--min-reply-timeout',
      scaled(LIBRARY_TIMING.minReplyTimeoutMs),
      '--busy-pause',
      scaled(LIBRARY_TIMING.busyPauseMs),
      '--result-timeout',
      String(options.awaitAnalysisMs ?? 0),
      '--json',
    ];
    if (options.deadlineMs !== undefined)
      args.push('--upload-timeout', String(Math.max(1, Math.round(options.deadlineMs))));
    return [...args, file];
  }

  private failed(image: Buffer, gaveUp: string, violation: string): GenerationCResult {
    const payload = this.firmware.maxPacketSize - 8;
    return {
      ok: false,
      generation: 'C',
      deviceId: this.options.deviceId,
      packets: Math.ceil(image.length / payload),
      bytes: image.length,
      durationMs: 0,
      requestTries: 0,
      retransmissions: 0,
      rounds: 0,
      timeouts: 0,
      nacks: 0,
      bufferDrops: 0,
      gaveUp,
      violations: gaveUp === 'aborted' ? [] : [violation],
    };
  }
}

interface CommandRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` to its end; the signal aborting sends it SIGTERM. */
export function runCommand(
  command: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<CommandRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const abort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', abort, { once: true });
    if (signal?.aborted) abort();
    child.on('error', (error) => {
      signal?.removeEventListener('abort', abort);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${error.message}` });
    });
    child.on('close', (code, closedBy) => {
      signal?.removeEventListener('abort', abort);
      resolve({ code, signal: closedBy, stdout, stderr });
    });
  });
}

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint, LinkCounters, LinkDirection, LinkOptions, UploadResult } from '#camera-emulator';
import { AnalysisStatus, Verdict } from '#protocol';
import { LossyRelay } from './lossy-relay.js';

/**
 * Generation C is this project's own firmware library (firmware/, C99). The simulator does not
 * emulate it: it runs the library itself, as `cable-uplink-send`, one run per image, behind a
 * `LossyRelay` that gives it the same link as the emulated devices.
 */
export interface GenerationCBuild {
  readonly name: 'C';
  readonly generation: 'C';
  /** P, the 8-byte data header included. */
  readonly maxPacketSize: number;
}

/** The generation-C build at packet size `packetSize` (1460 unless told). */
export function generationC(packetSize = 1460): GenerationCBuild {
  return Object.freeze({ name: 'C', generation: 'C', maxPacketSize: packetSize });
}

/** Where `npm run build:firmware` puts the command (optimised; build/sanitized/ has the checked one). */
export const UPLINK_COMMAND = fileURLToPath(
  new URL('../../../../firmware/build/cable-uplink-send', import.meta.url),
);

/** The library's settings the simulator scales with `--time-scale` (cu_config_defaults). */
const LIBRARY_TIMING = Object.freeze({ replyTimeoutMs: 1000, minReplyTimeoutMs: 100, busyPauseMs: 500 });

/** One line of `cable-uplink-send --json`: how one image went. */
export interface UplinkLine {
  readonly image: string;
  /** stored, refused, no-answer, gave-up, timed-out, invalid, network-error. */
  readonly outcome: string;
  readonly storedMs: number;
  readonly totalMs: number;
  readonly bytes: number;
  readonly packets: number;
  /** CRC-32 of the image, 8 hex digits. */
  readonly crc: string;
  readonly requests: number;
  readonly packetsSent: number;
  readonly endRounds: number;
  readonly restarts: number;
  readonly timeouts: number;
  readonly skipped: number;
  readonly malformed: number;
  readonly refusal: number;
  readonly verdict: {
    readonly status: 'analysed' | 'undecodable' | 'unavailable';
    readonly verdict: 'pass' | 'defect' | 'uncertain';
    readonly classIndex: number;
    readonly confidence: number;
    readonly label: string;
  } | null;
}

const NUMBER_FIELDS = [
  'storedMs',
  'totalMs',
  'bytes',
  'packets',
  'requests',
  'packetsSent',
  'endRounds',
  'restarts',
  'timeouts',
  'skipped',
  'malformed',
  'refusal',
] as const;

/** Parses one output line, checking every field is there. @throws Error naming what is wrong. */
export function parseUplinkLine(line: string): UplinkLine {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  for (const field of NUMBER_FIELDS) {
    if (typeof parsed[field] !== 'number')
      throw new Error(`cable-uplink-send line without ${field}: ${line}`);
  }
  if (
    typeof parsed.outcome !== 'string' ||
    typeof parsed.image !== 'string' ||
    typeof parsed.crc !== 'string'
  ) {
    throw new Error(`cable-uplink-send line without outcome, image or crc: ${line}`);
  }
  return parsed as unknown as UplinkLine;
}

/**
 * How one upload went, in the emulator's terms (`UploadResult`) so that the fleet sums it alike;
 * `gaveUp` is the command's outcome (no-answer, gave-up, timed-out…) or `command-failed`.
 */
export type GenerationCResult = Omit<UploadResult, 'generation' | 'gaveUp'> & {
  readonly generation: 'C';
  readonly gaveUp?: string;
  /** The command's own line, for whoever wants more (the CRC, restarts…). */
  readonly line?: UplinkLine;
};

const STATUS: Readonly<Record<string, AnalysisStatus>> = {
  analysed: AnalysisStatus.Analysed,
  undecodable: AnalysisStatus.Undecodable,
  unavailable: AnalysisStatus.Unavailable,
};
const VERDICT: Readonly<Record<string, Verdict>> = {
  pass: Verdict.Pass,
  defect: Verdict.Defect,
  uncertain: Verdict.Uncertain,
};

/** The result of `line`, an upload by `deviceId` that waited `awaitedMs` for its verdict (0: none). */
export function resultOfLine(line: UplinkLine, deviceId: number, awaitedMs: number): GenerationCResult {
  const ok = line.outcome === 'stored';
  const afterStored = line.totalMs - line.storedMs;
  let analysis: GenerationCResult['analysis'];
  if (ok && line.verdict) {
    const { verdict } = line;
    analysis = {
      received: true,
      afterMs: afterStored,
      result: {
        kind: 'analysis-result',
        deviceId,
        status: STATUS[verdict.status] ?? AnalysisStatus.Unavailable,
        verdict: VERDICT[verdict.verdict] ?? Verdict.Uncertain,
        classIndex: verdict.classIndex,
        confidence: verdict.confidence,
        label: verdict.label,
      },
    };
  } else if (ok && awaitedMs > 0) {
    analysis = { received: false, waitedMs: afterStored };
  }
  return {
    ok,
    generation: 'C',
    deviceId,
    packets: line.packets,
    bytes: line.bytes,
    durationMs: line.totalMs,
    requestTries: line.requests,
    retransmissions: Math.max(0, line.packetsSent - line.packets),
    rounds: line.endRounds,
    timeouts: line.timeouts,
    nacks: 0,
    bufferDrops: 0,
    gaveUp: ok ? undefined : line.outcome,
    violations: line.malformed > 0 ? [`${line.malformed} replies that are not frames of the protocol`] : [],
    analysis,
    line,
  };
}

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

import type { UploadResult } from '#camera-emulator';
import { AnalysisStatus, Verdict } from '#protocol';

/**
 * Generation C is this project's own firmware library (firmware/, C99). The simulator does not
 * emulate it: it runs the library itself, as `cable-uplink-send`, one run per image, behind a
 * `LossyRelay` that gives it the same link as the emulated devices (`UplinkDevice`). This module
 * names the build and reads what the command prints.
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
